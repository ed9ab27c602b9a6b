------------------------------ MODULE ATDProbe -------------------------------
(* Written for replicheck's tests (tests/models/test_tla_examples.py): the spec of         *)
(* AsyncTerminationDetection under more fairness assumptions and liveness properties, to   *)
(* compare verdicts with TLC under its StateConstraint.                                    *)
EXTENDS AsyncTerminationDetection
S0 == Init /\ [][Next]_vars                                  \* no fairness
S1 == Spec                                                   \* WF(DetectTermination)
S2 == Spec /\ \A i \in Node : WF_vars(RcvMsg(i))
S3 == Spec /\ \A i, j \in Node : WF_vars(SendMsg(i, j))
S4 == Spec /\ \A i \in Node : SF_vars(RcvMsg(i))
L1 == Live
L2 == <>terminated
L3 == []<>(\A n \in Node : pending[n] = 0)
L4 == <>[](\A n \in Node : ~active[n])
L5 == (\E n \in Node : active[n]) ~> terminated
L6 == (\E n \in Node : pending[n] > 0) ~> (\A n \in Node : pending[n] = 0)
==============================================================================
