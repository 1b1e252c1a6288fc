"""Loading the packs a deployment serves, with their trained NLU and responder."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from warmline.domain.pack import DomainPack
from warmline.domain.pack_loader import load_pack
from warmline.errors import ConfigurationError, PackNotFound
from warmline.nlu.affect import AffectDetector
from warmline.nlu.embeddings import Encoder
from warmline.nlu.engine import NluEngine
from warmline.services.responder import Responder


@dataclass(frozen=True)
class PromotedModel:
    """The promoted intent model a pack serves (``warmline train``): its version and the
    reviewed corrections, as (text, intent), it is trained on besides the pack's examples."""

    version: int
    extra: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PackRuntime:
    pack: DomainPack
    nlu: NluEngine
    responder: Responder
    model_version: int = 0  # the promoted intent model served (0: the pack's examples alone)


class PackRegistry(Mapping[str, PackRuntime]):
    """The packs a deployment serves, by name; ``resolve`` also takes the name or path a pack
    was configured by, and none for the default."""

    def __init__(
        self, packs: dict[str, PackRuntime], default: str, aliases: dict[str, str] | None = None
    ) -> None:
        self._packs = packs
        self.default = default
        self.aliases = aliases or {}

    def resolve(self, name: str | None) -> PackRuntime:
        key = name or self.default
        runtime = self._packs.get(self.aliases.get(key, key))
        if runtime is None:
            known = ", ".join(sorted(self._packs))
            raise PackNotFound(f"unknown pack '{key}'; available: {known}")
        return runtime

    def add(self, runtime: PackRuntime) -> None:
        """Serve ``runtime`` under its pack's name (replacing a pack of that name)."""
        self._packs[runtime.pack.pack] = runtime

    def __getitem__(self, name: str) -> PackRuntime:
        return self._packs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._packs)

    def __len__(self) -> int:
        return len(self._packs)


def shipped_packs() -> dict[str, Path]:
    """The demo packs that ship with warmline, by name."""
    folder = resources.files("warmline.demo").joinpath("packs")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml")}


def resolve_pack_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    shipped = shipped_packs()
    if name_or_path not in shipped:
        raise ConfigurationError(
            f"no pack '{name_or_path}': not a YAML path nor a shipped pack ({', '.join(sorted(shipped))})"
        )
    return shipped[name_or_path]


def load_runtime(
    name_or_path: str,
    encoder: Encoder,
    cache_dir: Path | None,
    affect: AffectDetector | None = None,
    promoted: Mapping[str, PromotedModel] | None = None,
) -> PackRuntime:
    """The pack, its NLU trained on its examples plus the corrections of its promoted model in
    ``promoted`` (by pack name; none: the examples alone), and its responder."""
    pack = load_pack(resolve_pack_path(name_or_path))
    model = (promoted or {}).get(pack.pack, PromotedModel(0, ()))
    nlu = NluEngine.train(pack, encoder, cache_dir=cache_dir, affect=affect, extra=model.extra)
    return PackRuntime(pack, nlu, Responder(pack), model.version)
