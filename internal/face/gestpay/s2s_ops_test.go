package gestpay

import "testing"

// TestS2SOperationsAnswered: every operation the WSDL declares is answered
// (a JAX-WS client generated from it may call any), and nothing is
// answered that the WSDL does not declare.
func TestS2SOperationsAnswered(t *testing.T) {
	declared := map[string]bool{}
	for _, op := range s2sOperations {
		declared[op.name] = true
		if s2sOps[op.name] == nil {
			t.Errorf("%s is in the WSDL but not answered", op.name)
		}
	}
	for name := range s2sOps {
		if !declared[name] {
			t.Errorf("%s is answered but not in the WSDL", name)
		}
	}
	if len(s2sOperations) != 17 {
		t.Errorf("%d operations, want WSs2s's 17", len(s2sOperations))
	}
}
