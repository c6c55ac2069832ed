package people

import (
	"testing"

	"accountbot/crm"
	"accountbot/internal/chattest"
)

// TestRolesTyped reads the role words of /invite and /appoint.
func TestRolesTyped(t *testing.T) {
	s := &service{roles: chattest.Words(t, roleWords)}
	for in, want := range map[string]crm.Role{"head": crm.RoleHead, "Ръководител": crm.RoleHead, "управител": crm.RoleHead,
		"supervisor": crm.RoleSupervisor, "супервайзор": crm.RoleSupervisor, "началник": crm.RoleSupervisor,
		"manager": crm.RoleManager, "мениджър": crm.RoleManager, " търговец ": crm.RoleManager} {
		if got, ok := s.role(in); !ok || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
	if _, ok := s.role("boss"); ok {
		t.Error("boss is a role")
	}
}
