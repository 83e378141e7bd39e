"""What a check found: one :class:`Finding` per tested property, grouped per learner function.

Plain data and text; the widget (``feedback``) turns it into HTML.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from helpers.course.exercises.catalog import Exercise


@dataclass(frozen=True)
class Finding:
    """One tested property: the rule in words, whether it held, and (if not) what was observed."""
    requirement: str
    passed: bool
    observed: str = ""
    fatal: bool = False  # a failure here makes the later properties meaningless (wrong shape, ...)
    hint: str = ""       # the idea that fixes this failure, without the code


def finding(requirement: str, problem: str | None, *, fatal: bool = False, hint: str = "") -> Finding:
    """A finding that passed when ``problem`` is None; otherwise ``problem`` is what was observed."""
    return Finding(requirement, problem is None, problem or "", fatal, hint)


@dataclass
class SectionResult:
    function: str                      # the learner's function this part tested
    findings: list[Finding] = field(default_factory=list)
    not_yet: bool = False              # it still raises NotImplementedError
    unchecked: bool = False            # later properties were skipped after a fatal failure or an error

    @property
    def passed(self) -> bool:
        return not self.not_yet and bool(self.findings) and all(f.passed for f in self.findings)


@dataclass
class CheckResult:
    exercise: Exercise
    sections: list[SectionResult]
    seconds: float
    stopped: str = ""   # why the check stopped early: the time limit or an interrupt (one line)

    @property
    def not_yet(self) -> bool:
        """Nothing attempted: every function still raises NotImplementedError."""
        return not self.stopped and all(s.not_yet for s in self.sections)

    @property
    def passed(self) -> bool:
        return not self.stopped and all(s.passed for s in self.sections)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.sections for f in s.findings]

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]

    def hints(self) -> list[str]:
        """The hints of the failed properties (each once), else the exercise's own hint."""
        specific = list(dict.fromkeys(f.hint for f in self.failures if f.hint))
        return specific or [self.exercise.hint]

    def headline(self) -> str:
        e = self.exercise
        head = f"{e.label}: {e.title}"
        if self.stopped:
            return f"{head}. ✗ Stopped: {self.stopped}"
        if self.not_yet:
            return (f"{head}. Not yet: replace the line raise NotImplementedError(...) with your code, run that "
                    f"cell, then run this check again.")
        if self.passed:
            return f"{head}. ✓ Passed: all {len(self.findings)} checks hold (checked in {self.seconds:.2f} s)."
        waiting = [s.function for s in self.sections if s.not_yet]
        if not self.failures:
            done = [s.function for s in self.sections if s.passed]
            return (f"{head}. Half way: {', '.join(done)} passes its checks; {', '.join(waiting)} is not written "
                    f"yet (checked in {self.seconds:.2f} s).")
        more = f"; {', '.join(waiting)} not written yet" if waiting else ""
        return (f"{head}. ✗ Not there yet: {len(self.failures)} of {len(self.findings)} checks fail{more} "
                f"(checked in {self.seconds:.2f} s).")

    def lines(self) -> list[tuple[str, str, str]]:
        """(mark, text, observed) rows for display; mark is ✓, ✗, or … (not written / not checked)."""
        rows = []
        if self.not_yet:
            return rows
        for s in self.sections:
            if s.not_yet:
                rows.append(("…", f"{s.function}: not written yet (it still raises NotImplementedError)", ""))
                continue
            prefix = f"{s.function}: " if len(self.sections) > 1 else ""
            for f in s.findings:
                rows.append(("✓" if f.passed else "✗", prefix + f.requirement, f.observed))
            if s.unchecked:
                rows.append(("…", prefix + "the remaining checks wait until the ones above pass.", ""))
        return rows

    def text(self) -> str:
        out = [self.headline()]
        for mark, text, observed in self.lines():
            out.append(f"  {mark} {text}")
            if observed:
                out.append(f"      observed: {observed}")
        return "\n".join(out)
