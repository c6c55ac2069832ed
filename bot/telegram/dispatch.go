package telegram

import (
	"sync"

	"github.com/go-telegram/bot/models"
)

// dispatcher runs updates: those of one chat one after the other, in the
// order they came, and those of different chats at the same time.
type dispatcher struct {
	run func(*models.Update) bool

	mu    sync.Mutex
	chats map[int64][]*job
	// jobs are the updates in hand by id, so that a second delivery of an
	// update in hand (a webhook retry) waits for the first.
	jobs map[int64]*job
	wg   sync.WaitGroup
	// onDone, when set, is told about every finished job.
	onDone func(*job)
}

// job is one update in hand.
type job struct {
	upd  *models.Update
	done chan struct{}
	// ok is set before done is closed: the update's work is complete
	// (committed and answered), so its offset may be confirmed.
	ok bool
}

func newDispatcher(run func(*models.Update) bool) *dispatcher {
	return &dispatcher{run: run, chats: map[int64][]*job{}, jobs: map[int64]*job{}}
}

// submit queues upd behind the other updates of its chat and returns its
// job; an update already in hand returns the job that has it.
func (d *dispatcher) submit(upd *models.Update) *job {
	chat := chatOf(upd)
	d.mu.Lock()
	if j := d.jobs[upd.ID]; j != nil {
		d.mu.Unlock()
		return j
	}
	j := &job{upd: upd, done: make(chan struct{})}
	d.jobs[upd.ID] = j
	q, running := d.chats[chat]
	d.chats[chat] = append(q, j)
	if !running {
		d.wg.Add(1)
	}
	d.mu.Unlock()
	if !running {
		go d.drain(chat)
	}
	return j
}

// drain runs the chat's queue until it is empty.
func (d *dispatcher) drain(chat int64) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.chats[chat]
		if len(q) == 0 {
			delete(d.chats, chat)
			d.mu.Unlock()
			return
		}
		j := q[0]
		q[0] = nil
		d.chats[chat] = q[1:]
		d.mu.Unlock()

		j.ok = d.run(j.upd)

		d.mu.Lock()
		delete(d.jobs, j.upd.ID)
		onDone := d.onDone
		d.mu.Unlock()
		close(j.done)
		if onDone != nil {
			onDone(j)
		}
	}
}

// wait returns when no update is in hand.
func (d *dispatcher) wait() { d.wg.Wait() }

// setOnDone sets the completion callback.
func (d *dispatcher) setOnDone(f func(*job)) {
	d.mu.Lock()
	d.onDone = f
	d.mu.Unlock()
}

// chatOf returns the chat an update belongs to, 0 for kinds without one.
func chatOf(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if m := u.CallbackQuery.Message.InaccessibleMessage; m != nil {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	}
	return 0
}
