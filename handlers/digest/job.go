package digest

import (
	"context"
	"errors"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/dates"
)

// digestJob sends every digest that is due and not yet sent. It runs on
// every scheduler tick and once at start, so a digest missed while the bot
// was down goes out at start when its day (in the schedule's time zone)
// has not ended; a missed day is not sent the next day.
//
// Exactly once: before sending, the job claims the digest for each
// identity of the reader in one store transaction keyed by reader,
// subject and local day (crm.DigestDelivery.Claim). Two ticks, two
// schedules or two processes that decide together conflict on that record
// and only one claim commits. After sending, the outcome is recorded: a
// delivery is final; a refusal is tried again after a pause, up to
// crm.DigestSendAttempts times that day. A claim whose outcome was never
// recorded (the process stopped while sending) may or may not have
// arrived; it is never sent again, because a digest must never come twice.
// A person changing the time after the day's digest went out gets no
// second one: the record is per day, not per time.
func (s *service) digestJob(ctx context.Context, now time.Time) error {
	if s.kit.Notifier == nil {
		return nil
	}
	people, err := s.store.People(ctx)
	if err != nil {
		return err
	}
	stored, err := s.store.DigestSchedules(ctx)
	if err != nil {
		return err
	}
	dels, err := s.store.Delegations(ctx)
	if err != nil {
		return err
	}
	byID := make(map[uint64]*crm.Person, len(people))
	for _, p := range people {
		byID[p.ID] = p
	}
	var errs []error
	for _, p := range people {
		if p.Active() {
			errs = append(errs, s.deliverDigest(ctx, now, p, p, effectiveSchedule(p, stored)))
		}
	}
	// A deputy also gets the absent person's digest, on the absent
	// person's schedule, while the delegation lasts.
	for _, d := range dels {
		absent, deputy := byID[d.AbsentID], byID[d.DeputyID]
		if d.ActiveAt(now) && absent.Active() && deputy.Active() {
			errs = append(errs, s.deliverDigest(ctx, now, deputy, absent, effectiveSchedule(absent, stored)))
		}
	}
	return errors.Join(errs...)
}

// deliverDigest sends subject's digest to reader if it is due today under
// sched (in the subject's time zone) and not claimed yet.
func (s *service) deliverDigest(ctx context.Context, now time.Time, reader, subject *crm.Person, sched crm.DigestSchedule) error {
	tz := s.personTZ(subject)
	day := dates.Day(now, tz)
	kind := sched.KindOn(day.Weekday())
	if kind == "" || now.Before(sched.DueAt(day)) || len(reader.Identities) == 0 {
		return nil
	}
	var claimed, lost []string
	attempts := map[string]int{}
	if _, err := s.store.UpdateDigestDelivery(ctx, reader.ID, subject.ID, day, func(d *crm.DigestDelivery) error {
		claimed, lost = d.Claim(reader.Identities, now)
		for _, id := range claimed {
			attempts[id] = d.Sends[id].Attempts
		}
		return nil
	}); err != nil {
		return err
	}
	for _, id := range lost {
		s.kit.Log.Warn("a digest was being sent when the bot stopped; not sending it again, so that it never comes twice",
			"reader", reader.ID, "subject", subject.ID, "day", day.Format(dayLayout), "identity", id)
	}
	if len(claimed) == 0 {
		return nil
	}
	delivered := map[string]bool{}
	rep, buildErr := s.scheduledDigest(ctx, reader, subject, sched, day, kind)
	if buildErr == nil {
		for _, id := range claimed {
			if err := s.kit.Notifier.Notify(ctx, id, rep); err != nil {
				// An identity on a platform that is not running (console)
				// fails every time: say so loudly only when giving up.
				if attempts[id] >= crm.DigestSendAttempts {
					s.kit.Log.Warn("digest not delivered; giving up for today", "reader", reader.ID, "identity", id, "attempts", attempts[id], "err", err)
				} else {
					s.kit.Log.Info("digest not delivered; will try again", "reader", reader.ID, "identity", id, "attempt", attempts[id], "err", err)
				}
				continue
			}
			delivered[id] = true
		}
	}
	_, err := s.store.UpdateDigestDelivery(ctx, reader.ID, subject.ID, day, func(d *crm.DigestDelivery) error {
		at := s.kit.Clock.Now()
		for _, id := range claimed {
			d.Finish(id, delivered[id], at)
		}
		return nil
	})
	return errors.Join(buildErr, err)
}

// scheduledDigest builds the digest of day for the schedule: the reader's
// language, the whole days of its period.
func (s *service) scheduledDigest(ctx context.Context, reader, subject *crm.Person, sched crm.DigestSchedule, day time.Time, kind string) (bot.Reply, error) {
	// The same calendar day, counted in the reader's time zone, where they
	// read it.
	rtz := s.personTZ(reader)
	per := digestPeriodOn(sched, rtz, s.kit.Clock.Now(), time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, rtz), kind)
	return s.buildDigest(ctx, reader, subject, reader.Lang, per, false)
}

// snapshotJob takes each registered snapshot once per company day (in
// Kit.TZ), on the first tick of the day, so it holds the state at the
// start of that day. A day the bot was down all day has no snapshot;
// core.SnapshotOn falls back to the nearest earlier one.
func (s *service) snapshotJob(ctx context.Context, now time.Time) error {
	if len(s.hooks.Snapshots) == 0 {
		return nil
	}
	day := dates.Day(now, s.kit.TZ)
	var errs []error
	for _, sn := range s.hooks.Snapshots {
		ok, err := s.store.HasSnapshot(ctx, sn.Kind, day)
		if err != nil || ok {
			errs = append(errs, err)
			continue
		}
		rows, err := sn.Take(ctx, day)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// PutSnapshot keeps the first of two racing takers.
		if _, err := s.store.PutSnapshot(ctx, sn.Kind, day, now, rows); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
