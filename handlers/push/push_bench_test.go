package push_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
	"accountbot/handlers"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/store"
)

// countingNotifier counts deliveries and sends nothing.
type countingNotifier struct{ n atomic.Int64 }

func (c *countingNotifier) Notify(context.Context, string, bot.Reply) error {
	c.n.Add(1)
	return nil
}

// Reminder data: 200 people, 50,000 clients (250 each) and 100,000 open
// tasks (500 each), of which 20,000 ring at a time spread over the next 30
// days, none in the benchmark's first hour.
const (
	ringPeople  = 200
	ringClients = 250
	ringTasks   = 500
)

var ringStart = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func openRingBench(b *testing.B) (*handlers.Service, *store.Store, *dates.ManualClock, *countingNotifier) {
	b.Helper()
	st := chattest.OpenStore(b, store.Options{Dir: b.TempDir()})
	sd := st.Seeder()
	var taskID uint64
	for p := uint64(1); p <= ringPeople; p++ {
		role := crm.RoleManager
		if p == 1 {
			role = crm.RoleHead
		}
		// Agendas off: this measures the reminders' part of a tick.
		sd.Person(&crm.Person{ID: p, Name: fmt.Sprintf("Person %d", p), Role: role, Identities: []string{fmt.Sprintf("console:p%d", p)}, AgendaOff: true, CreatedAt: ringStart.AddDate(-1, 0, 0)})
		for c := uint64(0); c < ringClients; c++ {
			id := (p-1)*ringClients + c + 1
			sd.Client(&crm.Client{ID: id, Name: fmt.Sprintf("Client %d-%d", p, c), OwnerID: p, CreatedAt: ringStart.AddDate(-1, 0, 0), LastTouch: ringStart, ReviewedAt: ringStart})
		}
		for i := 0; i < ringTasks; i++ {
			taskID++
			t := &crm.Task{ID: taskID, ClientID: (p-1)*ringClients + uint64(i%ringClients) + 1, AssigneeID: p, Text: "call back",
				Due: ringStart.AddDate(0, 0, i%30), CreatedAt: ringStart.AddDate(0, 0, -1), CreatedBy: p}
			if i%5 == 0 {
				t.SetAt(ringStart.Add(time.Hour + time.Duration(taskID%(30*24*60))*time.Minute))
			}
			sd.Task(t)
		}
	}
	if err := sd.Flush(); err != nil {
		b.Fatal(err)
	}
	n := &countingNotifier{}
	e := handlerstest.Bench(b, st, ringStart, handlers.WithNotifier(n))
	return e.Svc, st, e.Clock, n
}

// BenchmarkReminderTick measures the reminders' job on a tick with nothing
// due and on one with 200 reminders due (one per person), over 100,000 open
// tasks: the ring index makes a tick read only what is due.
func BenchmarkReminderTick(b *testing.B) {
	svc, st, clock, n := openRingBench(b)
	ctx := context.Background()
	b.Run("nothing-due", func(b *testing.B) {
		clock.Set(ringStart.Add(30 * time.Minute))
		for i := 0; i < b.N; i++ {
			if err := svc.RunJob(ctx, "reminders.ring"); err != nil {
				b.Fatal(err)
			}
		}
		if n.n.Load() != 0 {
			b.Fatalf("sent %d", n.n.Load())
		}
	})
	b.Run("agenda-all-sent", func(b *testing.B) {
		// The agenda's part of a tick in the morning window, after every
		// agenda went out: it finds each person's claim and builds nothing.
		b.StopTimer()
		for p := uint64(1); p <= ringPeople; p++ {
			if _, err := st.UpdatePerson(ctx, p, func(q *crm.Person) error { q.AgendaOff = false; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		clock.Set(ringStart.Add(30 * time.Minute))
		if err := svc.RunJob(ctx, "agenda.morning"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i := 0; i < b.N; i++ {
			if err := svc.RunJob(ctx, "agenda.morning"); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		for p := uint64(1); p <= ringPeople; p++ {
			if _, err := st.UpdatePerson(ctx, p, func(q *crm.Person) error { q.AgendaOff = true; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		n.n.Store(0)
	})
	b.Run("200-due", func(b *testing.B) {
		at := ringStart.Add(40 * time.Minute)
		clock.Set(at)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			// One open task of each person rings at at.
			for p := uint64(1); p <= ringPeople; p++ {
				id := (p-1)*ringTasks + 2
				if _, err := st.UpdateTask(ctx, id, func(t *crm.Task) error { t.SetAt(at); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			before := n.n.Load()
			b.StartTimer()
			if err := svc.RunJob(ctx, "reminders.ring"); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got := n.n.Load() - before; got != ringPeople {
				b.Fatalf("sent %d, want %d", got, ringPeople)
			}
			b.StartTimer()
		}
	})
}
