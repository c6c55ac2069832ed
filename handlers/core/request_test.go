package core

import (
	"errors"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
)

// team is a head (1), a supervisor (2) with managers 3 and 4, and a
// manager 5 outside the team; 3 stands in for 5, who is away.
func team(me uint64) *Request {
	people := map[uint64]*crm.Person{
		1: {ID: 1, Name: "Head", Role: crm.RoleHead},
		2: {ID: 2, Name: "Sup", Role: crm.RoleSupervisor},
		3: {ID: 3, Name: "Maria", Role: crm.RoleManager, ReportsTo: 2},
		4: {ID: 4, Name: "Petar", Role: crm.RoleManager, ReportsTo: 2},
		5: {ID: 5, Name: "Georgi", Role: crm.RoleManager},
	}
	r := &Request{Message: &bot.Message{}, Me: people[me], People: people, Absent: map[uint64]*crm.Delegation{}, Now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	if me == 3 {
		r.Absent[5] = &crm.Delegation{AbsentID: 5, DeputyID: 3}
	}
	return r
}

func TestRights(t *testing.T) {
	tests := []struct {
		me, owner, assignee uint64
		sees                bool
		onBehalf            uint64
	}{
		{me: 1, owner: 5, sees: true},                           // a head sees everyone's
		{me: 2, owner: 3, sees: true},                           // a supervisor their reports'
		{me: 2, owner: 5},                                       // but not another team's
		{me: 2, owner: 5, assignee: 3},                          // not even when assigned to a report
		{me: 4, owner: 3},                                       // a manager not a colleague's
		{me: 4, owner: 3, assignee: 4, sees: true},              // unless assigned to them
		{me: 3, owner: 5, sees: true, onBehalf: 5},              // a deputy the absent person's, for them
		{me: 3, owner: 1, assignee: 5, sees: true, onBehalf: 5}, // and what is assigned to the absent person
	}
	for _, tt := range tests {
		r := team(tt.me)
		a := r.ClaimRights(tt.owner, tt.assignee)
		if got := a != nil; got != tt.sees || r.SeesClaim(tt.owner, tt.assignee) != tt.sees {
			t.Errorf("person %d, claim of %d assigned to %d: sees %v, want %v", tt.me, tt.owner, tt.assignee, got, tt.sees)
			continue
		}
		if a != nil && (a.PersonID != tt.me || a.OnBehalfOf != tt.onBehalf) {
			t.Errorf("person %d, claim of %d: actor %+v, want on behalf of %d", tt.me, tt.owner, *a, tt.onBehalf)
		}
		if tt.assignee == 0 && r.SeesOwner(tt.owner) != tt.sees {
			t.Errorf("person %d: SeesOwner(%d) = %v, want %v", tt.me, tt.owner, !tt.sees, tt.sees)
		}
	}
}

func TestMayHandTo(t *testing.T) {
	tests := []struct {
		me      uint64
		actor   crm.Actor
		to      uint64
		wantErr string
	}{
		{me: 2, actor: crm.Actor{PersonID: 2}, to: 4},
		{me: 2, actor: crm.Actor{PersonID: 2}, to: 5, wantErr: "client.owner_forbidden"},
		{me: 3, actor: crm.Actor{PersonID: 3, OnBehalfOf: 5}, to: 3, wantErr: "deputy.not_to_self"},
		{me: 3, actor: crm.Actor{PersonID: 3, OnBehalfOf: 5}, to: 4, wantErr: "deputy.owner_outside"},
	}
	for _, tt := range tests {
		r := team(tt.me)
		err := r.MayHandTo(tt.actor, r.People[tt.to])
		var key string
		if ce := (*crm.Error)(nil); errors.As(err, &ce) {
			key = ce.Key
		} else if err != nil {
			key = err.Error()
		}
		if key != tt.wantErr {
			t.Errorf("person %d as %+v hands to %d: %q, want %q", tt.me, tt.actor, tt.to, key, tt.wantErr)
		}
	}
}

func TestVisibleOwners(t *testing.T) {
	tests := []struct {
		me    uint64
		scope string
		want  []uint64
		err   bool
	}{
		{me: 3, scope: "mine", want: []uint64{3, 5}},
		{me: 2, scope: "team", want: []uint64{2, 3, 4}},
		{me: 3, scope: "team", err: true},
		{me: 2, scope: "all", err: true},
		{me: 1, scope: "all", want: []uint64{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		got, err := team(tt.me).VisibleOwners(tt.scope)
		if (err != nil) != tt.err || len(got) != len(tt.want) {
			t.Errorf("person %d, %s: %v %v, want %v", tt.me, tt.scope, got, err, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("person %d, %s: %v, want %v", tt.me, tt.scope, got, tt.want)
				break
			}
		}
	}
}

func TestTextHelpers(t *testing.T) {
	if got := Truncate("Доставка", 5); got != "Дост…" {
		t.Errorf("Truncate = %q", got)
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate = %q", got)
	}
	for _, tt := range []struct{ n, of, want int }{{1, 3, 33}, {2, 3, 67}, {1, 2, 50}, {0, 0, 0}} {
		if got := Percent(tt.n, tt.of); got != tt.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", tt.n, tt.of, got, tt.want)
		}
	}
	if m, ok := Median([]time.Duration{3, 1, 2, 10}); !ok || m != 2 {
		t.Errorf("Median = %v %v", m, ok)
	}
	if _, ok := Median(nil); ok {
		t.Error("Median of nothing is ok")
	}
}
