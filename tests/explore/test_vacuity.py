"""Vacuity warnings: actions never enabled, liveness triggers never true, targets never reached."""

from __future__ import annotations

from replicheck.explore import CheckOptions, check
from replicheck.explore.full import check_model
from replicheck.lang import Model, Range, action, eventually, leads_to, liveness, reachable, require


class Stalled(Model):
    """x goes 0 -> 1 -> 2; `jump` needs x = 5, which never happens."""

    x = Range(0, 5, init=0)

    @action(fair="weak")
    def step(self, s):
        require(s.x < 2)
        s.x += 1

    @action
    def jump(self, s):
        require(s.x == 5)
        s.x = 0

    @reachable
    def reaches_three(self, s):
        return s.x == 3

    @liveness
    def five_leads_back(self, s):
        return leads_to(s.x == 5, s.x == 0)

    @liveness
    def reaches_two(self, s):
        return eventually(s.x == 2)


def test_an_action_never_enabled_is_reported() -> None:
    r = check(Stalled().compile(), CheckOptions(deadlock=False, stop_at_first=False))
    assert "action jump is never enabled in any reachable state" in r.warnings
    assert not any("step" in w for w in r.warnings)


def test_a_reachable_target_never_reached_is_vacuous() -> None:
    r = check(Stalled().compile(), CheckOptions(deadlock=False, stop_at_first=False))
    v = next(v for v in r.verdicts if v.property == "reaches_three")
    assert v.status == "vacuous"


def test_a_liveness_property_whose_trigger_never_holds_is_flagged() -> None:
    r = check_model(Stalled().compile(), CheckOptions(deadlock=False, stop_at_first=False))
    v = next(v for v in r.verdicts if v.property == "five_leads_back")
    assert v.status == "holds" and "vacuously" in v.message
    assert any(w.startswith("five_leads_back holds vacuously") for w in r.warnings)
    assert next(v for v in r.verdicts if v.property == "reaches_two").status == "holds"
