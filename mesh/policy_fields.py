"""Strict reading of one YAML mapping: every key is either understood or reported.

The proxy must never ignore a field silently, so each mapping is read through
a `Fields` object: the loader takes the keys it supports, and `finish()`
reports every key left over with its full path (`spec.http[0].mirror`).
Problems are collected rather than raised, so one run names all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mesh.durations import parse_duration

UNSUPPORTED = "is not supported by the local mesh proxy"


class PolicyError(ValueError):
    """Policy that cannot be applied; each message names its source and field path."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))

    @classmethod
    def at(cls, source: str, problems: list[str]) -> PolicyError:
        return cls([f"{source}: {problem}" for problem in problems])


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class Fields:
    def __init__(self, value: Any, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        if isinstance(value, Mapping):
            self._value: Mapping[str, Any] = value
        else:
            problems.append(f"{path or 'the document'} must be a mapping, got {_type_name(value)}")
            self._value = {}
        self._taken: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._value

    def problem(self, key: str | None, message: str) -> None:
        where = join(self.path, key) if key is not None else self.path
        self.problems.append(f"{where} {message}")

    def raw(self, key: str) -> Any:
        self._taken.add(key)
        return self._value.get(key)

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return None
        if not isinstance(value, str) or not value:
            self.problem(key, f"must be a non-empty string, got {_type_name(value)}")
            return None
        return value

    def integer(
        self, key: str, minimum: int = 0, maximum: int = 2**32 - 1, required: bool = False
    ) -> int | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"must be a whole number, got {_type_name(value)}")
            return None
        if not minimum <= value <= maximum:
            self.problem(key, f"must be from {minimum} to {maximum}, got {value}")
            return None
        return value

    def number(self, key: str, minimum: float, maximum: float) -> float | None:
        value = self.raw(key)
        if value is None:
            self.problem(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(key, f"must be a number, got {_type_name(value)}")
            return None
        if not minimum <= value <= maximum:
            self.problem(key, f"must be from {minimum:g} to {maximum:g}, got {value}")
            return None
        return float(value)

    def duration(self, key: str, required: bool = False) -> float | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return None
        try:
            return parse_duration(value)
        except ValueError as error:
            self.problem(key, f"is {error}")
            return None

    def mapping(self, key: str, required: bool = False) -> Fields | None:
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return None
        return Fields(value, join(self.path, key), self.problems)

    def items(self, key: str, required: bool = False) -> Iterator[tuple[Any, str]]:
        """Each element of the list at ``key`` with its path (`spec.http[2]`)."""
        value = self.raw(key)
        if value is None:
            if required:
                self.problem(key, "is required")
            return
        if not isinstance(value, list):
            self.problem(key, f"must be a list, got {_type_name(value)}")
            return
        for index, element in enumerate(value):
            yield element, join(join(self.path, key), index)

    def string_map(self, key: str) -> None:
        """Labels and annotations: strings to strings, kept but not interpreted."""
        value = self.raw(key)
        if value is None:
            return
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.problem(key, "must map strings to strings")

    def finish(self, explanations: Mapping[str, str] | None = None) -> None:
        """Report every key that was not taken; ``explanations`` say where some belong."""
        explanations = explanations or {}
        supported = ", ".join(sorted(self._taken))
        for key in self._value:
            if key in self._taken:
                continue
            if key in explanations:
                self.problem(key, f"{UNSUPPORTED}: {explanations[key]}")
            else:
                self.problem(key, f"{UNSUPPORTED} (supported here: {supported})")
