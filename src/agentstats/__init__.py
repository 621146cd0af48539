"""agentstats: TAPI 3 ITAgentSession statistics from call-center event logs."""
