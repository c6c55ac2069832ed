package store

import (
	"errors"

	"accountbot/crm"
)

// planningClientKeys lists every planning key about one client, for its
// erasure (/client forget): its audience row and source index,
// contact plan and plan notes, meetings, promises with their history,
// payments, campaign leads, and competitor notes sourced from it (those
// are dropped whole: a note cannot keep a source that no longer exists).
// Keys may be prefixes that hold only this client's records. count is how
// many records they are.
func planningClientKeys(tx *Tx, clientID uint64) (keys [][]byte, count int, err error) {
	c, err := tx.client(clientID)
	if errors.Is(err, errNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	keys = append(keys, audienceKey(clientID), planKey(clientID), planOwnerKey(c.OwnerID, clientID),
		key("pln/", clientID), key("ply/", clientID))
	if crm.NormalizeName(c.Source) != "" {
		keys = append(keys, sourceKey(c.Source, clientID))
	}
	// Meetings.
	err = tx.scan(key("plmc/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
		var m crm.Meeting
		if err := tx.get(key("plm/", tailID(k)), &m); err != nil {
			return false, err
		}
		count++
		keys = append(keys, key("plm/", m.ID), key("plmx/", "remind", m.ID), key("plmx/", "ask", m.ID))
		keys = append(keys, meetingKeys(&m)...)
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	// Promises and their history.
	err = tx.scan(key("plpc/", clientID), false, false, func(k []byte, _ Item) (bool, error) {
		var p crm.Promise
		if err := tx.get(promiseKey(tailID(k)), &p); err != nil {
			return false, err
		}
		count++
		keys = append(keys, promiseKey(p.ID), promiseOpenKey(&p), key("h/", "promise", "/", p.ID))
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	keys = append(keys, key("plmc/", clientID), key("plpc/", clientID))
	// Leads of every campaign, each campaign's count one less for a
	// client that was its lead (tied, or by its source).
	leadOf := map[uint64]bool{}
	if id, ok, err := tx.campaignNamed(crm.NormalizeName(c.Source)); err != nil {
		return nil, 0, err
	} else if ok {
		leadOf[id] = true
	}
	err = tx.scan([]byte("plk/"), false, false, func(k []byte, _ Item) (bool, error) {
		lk := key("plkl/", tailID(k), clientID)
		if ok, err := tx.has(lk); err != nil || !ok {
			return err == nil, err
		}
		keys = append(keys, lk)
		leadOf[tailID(k)] = true
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	for id := range leadOf {
		if err := tx.addDelta(leadCountKey(id), -1); err != nil {
			return nil, 0, err
		}
	}
	// Competitor notes sourced from the client.
	err = tx.scan(key("plxc/", clientID), false, true, func(_ []byte, item Item) (bool, error) {
		nk, err := item.ValueCopy(nil)
		if err != nil {
			return false, err
		}
		count++
		keys = append(keys, nk)
		if ik, _, ok := noteOwnerKeyOf(c.OwnerID, nk); ok {
			keys = append(keys, ik)
		}
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	keys = append(keys, key("plxc/", clientID))
	return keys, count, nil
}
