def import_table(*a, **k): raise NotImplementedError
def read_table_events(*a, **k): raise NotImplementedError
