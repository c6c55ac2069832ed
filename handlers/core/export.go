package core

import (
	"time"

	"accountbot/crm"
	"accountbot/csvio"
)

// StartCSV begins a family's table of "/export KIND": it writes header,
// then returns the owners whose records the sender sees by default
// (VisibleOwners of DefaultScope, in id order) and how the owner column
// names each person (OwnerRefs). A header that cannot be written is
// crm.EINTERNAL.
func StartCSV(r *Request, w *csvio.Writer, header ...string) (owners []uint64, refs map[uint64]string, err error) {
	if err := w.Write(header); err != nil {
		return nil, nil, crm.Internal(err)
	}
	if owners, err = r.VisibleOwners(r.DefaultScope()); err != nil {
		return nil, nil, err
	}
	return owners, OwnerRefs(r), nil
}

// OwnerRefs returns how the owner column names each person: the name, or
// an identity when another person has the same name, so that a file
// imports back to the same owners.
func OwnerRefs(r *Request) map[uint64]string {
	byName := map[string]int{}
	for _, p := range r.People {
		byName[crm.NormalizeName(p.Name)]++
	}
	out := make(map[uint64]string, len(r.People))
	for id, p := range r.People {
		out[id] = p.Name
		if (byName[crm.NormalizeName(p.Name)] > 1 || crm.NormalizeName(p.Name) == "") && len(p.Identities) > 0 {
			out[id] = p.Identities[0]
		}
	}
	return out
}

// CSVTime writes a time as an ISO date and time in the sender's zone, ""
// for none: a file is read by spreadsheets, not people, so one format.
func CSVTime(r *Request, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.TZ).Format("2006-01-02 15:04")
}
