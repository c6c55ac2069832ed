package crm

import (
	"context"
	"sync/atomic"
)

type deliveryKeyCtx struct{}

type delivery struct {
	key     string
	claimed atomic.Bool
}

// DeliveryClaim tracks whether a delivery's key was already recorded by an
// earlier write of the same request.
type DeliveryClaim interface {
	Claimed() bool
	Claim()
}

func (d *delivery) Claimed() bool { return d.claimed.Load() }
func (d *delivery) Claim()        { d.claimed.Store(true) }

// WithDeliveryKey marks ctx as handling the platform delivery key (for
// example "telegram/update/123" or "slack/event/Ev123"). The store records
// the key with the first write the request commits, in the same
// transaction, so that a redelivery can never write twice.
func WithDeliveryKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, deliveryKeyCtx{}, &delivery{key: key})
}

// DeliveryKey returns the delivery key of ctx and its claim, or "" and nil.
func DeliveryKey(ctx context.Context) (string, DeliveryClaim) {
	d, _ := ctx.Value(deliveryKeyCtx{}).(*delivery)
	if d == nil {
		return "", nil
	}
	return d.key, d
}

type readOnlyCtx struct{}

// WithReadOnly marks ctx as a read-only request: the store refuses every
// write made under it with ErrReadOnly. A model's tools (/ask) run under
// it, so that no command they reach can write, whatever its arguments.
func WithReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyCtx{}, true)
}

// ReadOnly reports whether ctx is a read-only request.
func ReadOnly(ctx context.Context) bool {
	ro, _ := ctx.Value(readOnlyCtx{}).(bool)
	return ro
}
