"""Build the Cython extension; all metadata lives in pyproject.toml.

Compiler directives live here and only here. Set AGENTSTATS_DEBUG=1 to build with
bounds checking, wraparound and initialisation checks back on (used in one CI run).
OpenMP is used when the compiler supports it; without it the kernel runs the same
code on one thread (`n_threads` is then capped at 1).
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("AGENTSTATS_DEBUG", "") not in ("", "0")

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "nonecheck": DEBUG,
    "cdivision": True,
    "infer_types": True,
    "embedsignature": True,
    "autotestdict": False,      # no __test__ dict: the .pyi stub lists the whole module
}


def _compiler_supports_openmp() -> bool:
    """Try to compile and link a tiny OpenMP program with the default compiler."""
    if sys.platform == "win32" or os.environ.get("AGENTSTATS_NO_OPENMP"):
        return False
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    compiler = new_compiler()
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "omp_probe.c"
        src.write_text("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        try:
            objs = compiler.compile([str(src)], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(objs, str(Path(tmp) / "omp_probe"), extra_postargs=["-fopenmp"])
        except Exception:
            return False
    return True


class BuildExt(build_ext):
    def build_extensions(self):
        use_openmp = _compiler_supports_openmp()
        for ext in self.extensions:
            if use_openmp:
                ext.extra_compile_args.append("-fopenmp")
                ext.extra_link_args.append("-fopenmp")
            if DEBUG:
                ext.extra_compile_args.append("-O0")
                ext.extra_compile_args.append("-g")
            else:
                ext.extra_compile_args.append("-O3")
        super().build_extensions()


extensions = [
    Extension(
        "agentstats._kernel",
        ["src/agentstats/_kernel.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._queues",
        ["src/agentstats/_queues.pyx"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._agents",
        ["src/agentstats/_agents.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._qlog",
        ["src/agentstats/_qlog.pyx"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._qlog_lines",
        ["src/agentstats/_qlog_lines.pyx"],
        language="c++",
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._qlog_calls",
        ["src/agentstats/_qlog_calls.pyx"],
        language="c++",         # the callid table lives in libcpp containers
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._qlog_agents",
        ["src/agentstats/_qlog_agents.pyx"],
        language="c++",         # the translation state lives in libcpp containers
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "agentstats._qlog_aliases",
        ["src/agentstats/_qlog_aliases.pyx"],
        language="c++",         # names and open seconds live in libcpp containers
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES),
    cmdclass={"build_ext": BuildExt},
)
