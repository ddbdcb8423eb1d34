"""The Bot API as data: methods, their parameters and the object types, from `api.min.json`.

Every call is checked against the official spec before any emulated behaviour runs, so a typo
in a method or parameter name, a missing required parameter or a malformed JSON object fails a
test instead of being silently ignored (Telegram ignores unknown parameters; the emulator
refuses them on purpose, since a misspelt parameter is always a bug).

Form-encoded requests carry every value as a string (python-telegram-bot JSON-encodes each
non-string parameter); JSON bodies carry native values. Both are coerced to the same typed form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tests.emulator.errors import bad_request

SPEC_PATH = Path(__file__).with_name("api.min.json")
PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "True", "InputFile"})
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
# Parameters checked by dedicated code with Telegram's own wording instead of the generic checks.
_CHECKED_ELSEWHERE = frozenset({"reply_markup"})
_JSON_NAMES = {"reply_markup": "reply keyboard markup"}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request (an InputFile)."""

    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...] = ()

    @property
    def discriminator(self) -> str | None:
        """The value its `type` field must have ("must be photo"), for choosing among subtypes."""
        type_field = self.fields.get("type")
        match = re.search(r"must be (\S+)", type_field.description) if type_field else None
        return match.group(1).strip('*“”".,') if match else None


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


def _fields(raw: list[dict[str, Any]] | None) -> dict[str, FieldSpec]:
    return {
        f["name"]: FieldSpec(
            f["name"], tuple(f["types"]), bool(f["required"]), f.get("description", "")
        )
        for f in raw or []
    }


def _article(type_name: str) -> str:
    return "an" if type_name[0] in "AEIOU" else "a"


class ApiSpec:
    """Lookup and validation against one version of the Bot API."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = raw.get("version", "unknown")
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(name, _fields(t.get("fields")), tuple(t.get("subtypes", ())))
            for name, t in raw["types"].items()
        }
        methods = [
            MethodSpec(m["name"], _fields(m.get("fields")), tuple(m.get("returns", ())))
            for m in raw["methods"].values()
        ]
        self._methods = {m.name.lower(): m for m in methods}

    def method(self, name: str) -> MethodSpec | None:
        """Telegram method names are case-insensitive."""
        return self._methods.get(name.lower())

    @property
    def method_names(self) -> list[str]:
        return sorted(m.name for m in self._methods.values())

    # --- request parameters -------------------------------------------------------------------

    def parse_params(self, method: MethodSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Typed parameters, or ApiError 400 for unknown, missing or ill-typed ones."""
        for name in raw:
            if name not in method.fields:
                raise bad_request(f'unknown parameter "{name}"')
        params: dict[str, Any] = {}
        for name, spec in method.fields.items():
            if name not in raw:
                continue
            value = self._coerce(spec, raw[name])
            if value is not None:
                params[name] = value
        for name, spec in method.fields.items():
            if spec.required and name not in params:
                raise bad_request(f'parameter "{name}" is required')
        return params

    def _coerce(self, spec: FieldSpec, value: Any) -> Any:
        """One parameter in its typed form; None means "not given"."""
        types = spec.types
        if isinstance(value, Upload):
            if "InputFile" in types:
                return value
            raise bad_request(f'parameter "{spec.name}" can\'t be a file')
        objects = [t for t in types if t not in PRIMITIVES]
        if value is None:
            if spec.name == "reply_markup":
                raise bad_request("object expected as reply markup")
            return None
        if isinstance(value, str):
            if value == "" and "String" not in types:
                return None  # the Bot API treats an empty value as an absent one
            value = self._from_string(spec, value, objects)
            if isinstance(value, str):
                return value
        return self._check_native(spec, value, objects)

    def _from_string(self, spec: FieldSpec, value: str, objects: list[str]) -> Any:
        types = spec.types
        if "Integer" in types and _INTEGER.fullmatch(value.strip()):
            return int(value)
        if "Float" in types and _FLOAT.fullmatch(value.strip()):
            return float(value)
        if "Boolean" in types or "True" in types:
            if value.strip().lower() in _TRUE:
                return True
            if value.strip().lower() in _FALSE:
                return False
        if objects and not value.startswith("attach://"):
            try:
                return json.loads(value)
            except ValueError:
                if "String" not in types:
                    raise bad_request(
                        f"can't parse {_JSON_NAMES.get(spec.name, spec.name)} JSON object"
                    ) from None
        if "String" in types or "InputFile" in types:
            return value
        raise bad_request(f'parameter "{spec.name}" must be {self._describe(spec.types)}')

    def _check_native(self, spec: FieldSpec, value: Any, objects: list[str]) -> Any:
        types = spec.types
        if isinstance(value, bool):
            if "Boolean" in types or "True" in types:
                return value
        elif isinstance(value, int):
            if "Integer" in types:
                return value
            if "Float" in types:
                return float(value)
            if "String" in types:
                return str(value)
        elif isinstance(value, float):
            if "Float" in types:
                return value
            if "String" in types:
                return str(value)
        elif isinstance(value, str):
            if "String" in types or "InputFile" in types:
                return value
        elif isinstance(value, (dict, list)) and objects:
            if spec.name in _CHECKED_ELSEWHERE:
                return value
            problems = self.check_value(objects, value)
            if problems:
                raise bad_request(f"can't parse {spec.name}: {problems[0]}")
            return value
        raise bad_request(f'parameter "{spec.name}" must be {self._describe(types)}')

    @staticmethod
    def _describe(types: tuple[str, ...]) -> str:
        return " or ".join(f"{_article(t)} {t}" for t in types)

    # --- objects --------------------------------------------------------------------------------

    def check_value(
        self, types: list[str] | tuple[str, ...], value: Any, path: str = ""
    ) -> list[str]:
        """Problems with `value` as one of `types` ([] when it fits); used for nested request
        objects and, in tests, to prove the emulator's own updates match the spec."""
        if (
            len(types) > 1
            and all(t.startswith("Array of ") for t in types)
            and isinstance(value, list)
        ):
            # "Array of A or Array of B" takes a mixed array too (an album of photos and videos).
            inner = [t[len("Array of ") :] for t in types]
            problems: list[str] = []
            for index, item in enumerate(value):
                problems += self.check_value(inner, item, f"{path}[{index}]")
            return problems
        best: list[str] | None = None
        for type_expr in types:
            problems = self._check_one(type_expr, value, path)
            if not problems:
                return []
            if best is None or self._prefer(type_expr, value):
                best = problems
        return best or [f"{path or 'value'} has no type"]

    def _prefer(self, type_expr: str, value: Any) -> bool:
        """When no alternative fits, report against the one the object says it is."""
        spec = self.types.get(type_expr)
        return bool(spec and isinstance(value, dict) and spec.discriminator == value.get("type"))

    def _check_one(self, type_expr: str, value: Any, path: str) -> list[str]:
        label = path or type_expr
        if type_expr.startswith("Array of "):
            if not isinstance(value, list):
                return [f'Field "{label}" must be of type Array']
            inner = type_expr[len("Array of ") :]
            problems: list[str] = []
            for index, item in enumerate(value):
                problems += self._check_one(inner, item, f"{path}[{index}]")
            return problems
        checks = {
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
            "String": lambda v: isinstance(v, str),
            "InputFile": lambda v: isinstance(v, (str, Upload)),
        }
        if type_expr in checks:
            return (
                [] if checks[type_expr](value) else [f'Field "{label}" must be of type {type_expr}']
            )
        spec = self.types.get(type_expr)
        if spec is None:
            return [f"unknown type {type_expr}"]
        if spec.subtypes:
            return self.check_value(list(spec.subtypes), value, path)
        if not isinstance(value, dict):
            return [
                f"{type_expr} should be an Object"
                if not path
                else f'Field "{label}" must be of type Object'
            ]
        problems = []
        for name, field_spec in spec.fields.items():
            if name not in value:
                if field_spec.required:
                    problems.append(f'Can\'t find field "{name}"' + (f" in {path}" if path else ""))
                continue
            problems += self.check_value(
                field_spec.types, value[name], f"{path}.{name}" if path else name
            )
        if spec.discriminator is not None and value.get("type") not in (None, spec.discriminator):
            problems.append(
                f'Field "{path + "." if path else ""}type" must be "{spec.discriminator}"'
            )
        return problems


@lru_cache(maxsize=4)
def load_spec(path: Path = SPEC_PATH) -> ApiSpec:
    """The spec, parsed once per process."""
    return ApiSpec(json.loads(path.read_text(encoding="utf-8")))
