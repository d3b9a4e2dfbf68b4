"""The package metadata is in setup.cfg. This file only adds the build step that puts the
repository's top-level templates/ and static/ into the built package, as
petitions/templates and petitions/static, so that a wheel carries them. A checkout, and an
editable install of it, keeps reading the top-level folders (petitions/core/paths.py)."""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHARED = ("templates", "static")


class BuildPy(build_py):
    def run(self):
        if not self.editable_mode:
            # Start from an empty build/lib/petitions: setuptools never deletes there, so a
            # module or template moved or deleted in the tree would still ship.
            shutil.rmtree(os.path.join(self.build_lib, "petitions"), ignore_errors=True)
        super().run()
        for target, source in self._shared_files():
            self.mkpath(os.path.dirname(target))
            self.copy_file(source, target)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        return outputs + [target for target, _ in self._shared_files()]

    def _shared_files(self):
        """(path in the build, path in the tree) for every file of templates/ and static/;
        none in an editable install, which reads them where they are."""
        if self.editable_mode:
            return []
        pairs = []
        for folder in SHARED:
            for source in sorted((HERE / folder).rglob("*")):
                relative = source.relative_to(HERE)
                if source.is_file() and not any(
                    part.startswith(".") or part == "__pycache__" for part in relative.parts
                ):
                    pairs.append(
                        (os.path.join(self.build_lib, "petitions", *relative.parts), str(source))
                    )
        return pairs


setup(cmdclass={"build_py": BuildPy})
