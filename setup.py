"""Build step: the wheel carries the repository's host glue (hooks/) and plugin.yaml.

They are copied into the package as `flickr_replace_plugin/glue/` while the wheel is built, so the
repository keeps one copy of each (no second copy to drift). An editable install reads them from
the checkout instead (see flickr_replace_plugin/cli/hosts.py). Everything else is in pyproject.toml.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

GLUE_PACKAGE = Path("flickr_replace_plugin", "glue")


def glue_files() -> list[tuple[Path, Path]]:
    """(source, path inside the glue folder) for plugin.yaml and every file under hooks/."""
    files = [(Path("plugin.yaml"), Path("plugin.yaml"))]
    for source in sorted(Path("hooks").rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            files.append((source, source.relative_to("hooks")))
    return files


class BuildPyWithGlue(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, inside in glue_files():
            target = Path(self.build_lib, GLUE_PACKAGE, inside)
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))  # keeps the mode: shell shims stay executable

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        extra = [] if getattr(self, "editable_mode", False) else \
            [str(Path(self.build_lib, GLUE_PACKAGE, inside)) for _, inside in glue_files()]
        return [*super().get_outputs(include_bytecode), *extra]


setup(cmdclass={"build_py": BuildPyWithGlue})
