"""What an import reports: problems (fatal, the list is refused) and warnings (the list is imported).

A problem has a `location` a person can find in the file: `line 12, column 'country'` in a CSV,
`line 7 /properties/country/0` (line plus JSON pointer) in JSON lines, `/export/sanctionEntity[3]/nameAlias[2]`
(an XPath-like path, 1-based positions) plus the source line in XML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rsc_appraisal.engine.contracts import ListVersionData

DEFAULT_MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class ImportProblem:
    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ListImportError(ValueError):
    """The file was refused: nothing of it is imported. `problems` holds at most `max_problems` problems
    (`truncated` says whether the importer stopped early because there were more)."""

    def __init__(self, problems: Sequence[ImportProblem], *, truncated: bool = False) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        self.truncated = truncated
        shown = "; ".join(str(problem) for problem in self.problems[:3])
        more = len(self.problems) - 3
        suffix = f" (and {more} more{'+' if truncated else ''})" if more > 0 else (" (and more)" if truncated else "")
        super().__init__(f"the list was not imported, {len(self.problems)} problem(s): {shown}{suffix}")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """An imported list version plus the non-fatal warnings (e.g. a non-ISO country code that was dropped,
    a relation that points outside the file). Show the warnings to the person who imports the list."""

    data: ListVersionData
    warnings: tuple[ImportProblem, ...] = ()


class TooManyProblems(Exception):
    """Internal: raised by `ProblemLog.error` to stop parsing once the limit is reached."""


class ProblemLog:
    """Collects problems and warnings while an importer runs.

    Warnings given a `group` are aggregated: the first occurrence is kept with its location and the message
    says how often it happened (one dropped country code in 10,000 entries is one warning, not 10,000).
    """

    def __init__(self, max_problems: int = DEFAULT_MAX_PROBLEMS) -> None:
        if max_problems < 1:
            raise ValueError("max_problems must be at least 1")
        self.max_problems = max_problems
        self.errors: list[ImportProblem] = []
        self.truncated = False
        self._warnings: list[ImportProblem] = []
        self._groups: dict[str, list] = {}  # group -> [index into _warnings, count]
        self._dropped_warnings = 0

    def error(self, location: str, message: str, line: int | None = None) -> None:
        self.errors.append(ImportProblem(location, message, line))
        if len(self.errors) >= self.max_problems:
            self.truncated = True
            raise TooManyProblems

    def warn(self, location: str, message: str, line: int | None = None, *, group: str | None = None) -> None:
        if group is not None and group in self._groups:
            self._groups[group][1] += 1
            return
        if len(self._warnings) >= self.max_problems:
            self._dropped_warnings += 1
            return
        if group is not None:
            self._groups[group] = [len(self._warnings), 1]
        self._warnings.append(ImportProblem(location, message, line))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ListImportError(self.errors, truncated=self.truncated)

    def warnings(self) -> tuple[ImportProblem, ...]:
        out = list(self._warnings)
        for index, count in self._groups.values():
            if count > 1:
                first = out[index]
                out[index] = ImportProblem(
                    first.location, f"{first.message} ({count} occurrences, the first is shown)", first.line
                )
        if self._dropped_warnings:
            out.append(ImportProblem("file", f"{self._dropped_warnings} more warning(s) not shown"))
        return tuple(out)
