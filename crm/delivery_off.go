package crm

import "context"

// WithoutDeliveryKey returns ctx with no delivery key, for writes that are
// not the effect of the delivery being handled (registering a configured
// head on first contact, bookkeeping of an adapter). Such a write must not
// record the key: a crash right after it would make the redelivery look
// done and lose the write that the delivery was really about.
func WithoutDeliveryKey(ctx context.Context) context.Context {
	if key, _ := DeliveryKey(ctx); key == "" {
		return ctx
	}
	return context.WithValue(ctx, deliveryKeyCtx{}, (*delivery)(nil))
}
