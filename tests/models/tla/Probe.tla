-------------------------------- MODULE Probe --------------------------------
(* Written for replicheck's tests (tests/models/test_tla_examples.py): how TLC treats a    *)
(* CONSTRAINT. x counts up, y toggles; every run uses CONSTRAINT Constr (x <= 1), so a    *)
(* state with x = 2 is generated and checked against the invariants but not explored.     *)
EXTENDS Naturals
VARIABLES x, y
vars == <<x, y>>

Init == x = 0 /\ y = 0
InitWide == x \in 0..4 /\ y = 0                     \* three initial states are outside
A == x' = x + 1 /\ UNCHANGED y                      \* from x = 1 it leads outside
AGuarded == y = 1 /\ x' = x + 1 /\ UNCHANGED y      \* enabled only when y = 1
AStop == x < 2 /\ x' = x + 1 /\ UNCHANGED y         \* x = 2 has no successor
B == y' = 1 - y /\ UNCHANGED x
Next == A \/ B
NextG == AGuarded \/ B

SpecNoFair == Init /\ [][Next]_vars
SpecWF == Init /\ [][Next]_vars /\ WF_vars(A)
SpecGWF == Init /\ [][NextG]_vars /\ WF_vars(AGuarded)
SpecGWF2 == Init /\ [][NextG]_vars /\ WF_vars(AGuarded) /\ WF_vars(B)
SpecGSF2 == Init /\ [][NextG]_vars /\ SF_vars(AGuarded) /\ WF_vars(B)
SpecWideNoFair == InitWide /\ [][Next]_vars
SpecWideWF == InitWide /\ [][Next]_vars /\ WF_vars(A)
SpecStop == Init /\ [][AStop]_vars

Constr == x <= 1

EvX1 == <>(x = 1)
EvX2 == <>(x = 2)
EvLow == <>(x <= 1)
AlwaysEvY0 == []<>(y = 0)
LeadsY == (x = 1) ~> (y = 1)
StepBound == [][x' <= 1]_vars
InvX3 == x # 3
InvX2 == x # 2
==============================================================================
