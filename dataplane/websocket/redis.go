/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

	http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package websocket

import (
	"context"
	"encoding/json"

	"github.com/go-logr/logr"
	goredis "github.com/redis/go-redis/v9"
)

// RedisForwarder carries @connections calls between replicas over Redis pub/sub: each
// replica subscribes to a channel named after its node tag (which starts the ids of its
// connections); a call for a connection elsewhere is published there with a reply channel
// the caller subscribed to first. Nothing is stored in Redis.
type RedisForwarder struct {
	client *goredis.Client
	prefix string
	log    logr.Logger
}

// NewRedisForwarder returns a forwarder over client; prefix starts its channel names.
func NewRedisForwarder(client *goredis.Client, prefix string, log logr.Logger) *RedisForwarder {
	if prefix == "" {
		prefix = "portico:"
	}
	return &RedisForwarder{client: client, prefix: prefix, log: log}
}

func (f *RedisForwarder) nodeChannel(node string) string { return f.prefix + "ws:node:" + node }

type envelope struct {
	Op      Op     `json:"op"`
	ReplyTo string `json:"replyTo"`
}

// Serve subscribes to node's channel and answers its Ops until ctx ends. When Redis does
// not answer at first (a proxy that starts before its Redis), it says so and goes on: the
// subscription's reader connects, and subscribes, once Redis answers, as it does again after
// an outage, so that calls through other replicas reach this one's connections then.
func (f *RedisForwarder) Serve(ctx context.Context, node string, handle func(Op) Reply) error {
	sub := f.client.Subscribe(ctx, f.nodeChannel(node))
	if _, err := sub.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			_ = sub.Close()
			return ctx.Err()
		}
		f.log.Error(err, "@connections calls from other replicas reach this proxy's connections once Redis answers", "channel", f.nodeChannel(node))
	}
	go func() {
		defer func() { _ = sub.Close() }()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				var env envelope
				if err := json.Unmarshal([]byte(m.Payload), &env); err != nil || env.ReplyTo == "" {
					f.log.Info("dropping a malformed @connections call", "channel", m.Channel)
					continue
				}
				go func() {
					b, _ := json.Marshal(handle(env.Op))
					if err := f.client.Publish(context.WithoutCancel(ctx), env.ReplyTo, b).Err(); err != nil {
						f.log.Error(err, "answering a forwarded @connections call")
					}
				}()
			}
		}
	}()
	return nil
}

// Call publishes op to node's channel and waits for the answer. ok is false when no
// replica listens for node.
func (f *RedisForwarder) Call(ctx context.Context, node string, op Op) (Reply, bool, error) {
	replyTo := f.prefix + "ws:reply:" + randomID(12)
	sub := f.client.Subscribe(ctx, replyTo)
	defer func() { _ = sub.Close() }()
	if _, err := sub.Receive(ctx); err != nil {
		return Reply{}, false, err
	}
	b, err := json.Marshal(envelope{Op: op, ReplyTo: replyTo})
	if err != nil {
		return Reply{}, false, err
	}
	n, err := f.client.Publish(ctx, f.nodeChannel(node), b).Result()
	if err != nil {
		return Reply{}, false, err
	}
	if n == 0 {
		return Reply{}, false, nil
	}
	select {
	case <-ctx.Done():
		return Reply{}, false, ctx.Err()
	case m := <-sub.Channel():
		var r Reply
		if err := json.Unmarshal([]byte(m.Payload), &r); err != nil {
			return Reply{}, false, err
		}
		return r, true, nil
	}
}
