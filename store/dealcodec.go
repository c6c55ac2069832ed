package store

import (
	"encoding/binary"
	"errors"
	"time"

	"accountbot/crm"

	"github.com/shopspring/decimal"
)

// Deal summaries in index values are written in a small binary form rather
// than JSON: the pipeline, stuck, forecast and report queries decode
// thousands of them, and this form decodes about ten times faster. The
// deal itself (dd/<id>) stays JSON.
//
// Layout (version 1): version byte; uvarint id, client, owner, created by;
// string title; amount; string currency; stage byte; probability byte
// (255: none); times expected close, created, closed, stage since; uvarint
// stage since by; strings competitor and loss reason. A string is a
// uvarint length and the bytes; an amount is a zigzag varint exponent and
// a zigzag varint coefficient; a time is a byte 0 (zero time) or 1
// followed by zigzag varints of Unix seconds, nanoseconds and the zone
// offset in seconds. A flags byte may follow (bit 0: cancelled); summaries
// written before it existed end without it and read as no flags.
const dealSummaryVersion = 1

var errBadDealSummary = errors.New("store: bad deal summary")

func encodeDealSummary(d *crm.Deal) []byte {
	b := make([]byte, 0, 96+len(d.Title)+len(d.Competitor)+len(d.LossReason))
	b = append(b, dealSummaryVersion)
	b = binary.AppendUvarint(b, d.ID)
	b = binary.AppendUvarint(b, d.ClientID)
	b = binary.AppendUvarint(b, d.OwnerID)
	b = binary.AppendUvarint(b, d.CreatedBy)
	b = appendString(b, d.Title)
	coef := d.Amount.Coefficient()
	if !coef.IsInt64() {
		// Beyond any accepted amount: keep the order of magnitude exact
		// enough by dropping digits.
		d2 := d.Amount.Round(0)
		coef = d2.Coefficient()
		if !coef.IsInt64() {
			coef.SetInt64(1<<63 - 1)
		}
		b = binary.AppendVarint(b, int64(d2.Exponent()))
	} else {
		b = binary.AppendVarint(b, int64(d.Amount.Exponent()))
	}
	b = binary.AppendVarint(b, coef.Int64())
	b = appendString(b, d.Currency)
	b = append(b, byte(d.Stage.Index()+1))
	if d.Probability == nil {
		b = append(b, 255)
	} else {
		b = append(b, byte(*d.Probability))
	}
	since := d.StageSince()
	var sinceBy uint64
	if n := len(d.History); n > 0 {
		sinceBy = d.History[n-1].By
	}
	for _, t := range []time.Time{d.ExpectedClose, d.CreatedAt, d.ClosedAt, since} {
		b = appendTime(b, t)
	}
	b = binary.AppendUvarint(b, sinceBy)
	b = appendString(b, d.Competitor)
	b = appendString(b, d.LossReason)
	if d.Cancelled {
		b = append(b, 1)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	_, off := t.Zone()
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendVarint(b, int64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

// summaryReader reads the fields of a summary in order, remembering the
// first error.
type summaryReader struct {
	b   []byte
	err error
}

func (r *summaryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadDealSummary
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *summaryReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errBadDealSummary
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *summaryReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errBadDealSummary
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *summaryReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadDealSummary
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *summaryReader) time() time.Time {
	if r.byte() == 0 || r.err != nil {
		return time.Time{}
	}
	sec, nsec, off := r.varint(), r.varint(), r.varint()
	if r.err != nil {
		return time.Time{}
	}
	t := time.Unix(sec, nsec)
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}

// decodeDealSummary reads a summary written by encodeDealSummary. The deal's
// History holds only the entry of its current stage.
func decodeDealSummary(b []byte) (*crm.Deal, error) {
	if len(b) == 0 || b[0] != dealSummaryVersion {
		return nil, errBadDealSummary
	}
	r := &summaryReader{b: b[1:]}
	d := &crm.Deal{}
	d.ID = r.uvarint()
	d.ClientID = r.uvarint()
	d.OwnerID = r.uvarint()
	d.CreatedBy = r.uvarint()
	d.Title = r.string()
	exp := r.varint()
	coef := r.varint()
	d.Amount = decimal.New(coef, int32(exp))
	d.Currency = r.string()
	d.Stage = stageOf(r.byte())
	if p := r.byte(); p != 255 {
		pp := int(p)
		d.Probability = &pp
	}
	d.ExpectedClose = r.time()
	d.CreatedAt = r.time()
	d.ClosedAt = r.time()
	since := r.time()
	by := r.uvarint()
	d.Competitor = r.string()
	d.LossReason = r.string()
	if r.err == nil && len(r.b) > 0 {
		d.Cancelled = r.byte()&1 != 0
	}
	if r.err != nil {
		return nil, r.err
	}
	d.History = []crm.StageEntry{{Stage: d.Stage, At: since, By: by}}
	return d, nil
}
