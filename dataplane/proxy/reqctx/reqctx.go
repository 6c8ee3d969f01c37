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

// Package reqctx is the state one request carries through the steps of the request path:
// what Amazon API Gateway calls $context. The proxy creates it before routing and puts it in
// the request's context; each step reads what earlier steps found (the route, its path
// parameters, the stage variables) and records what it did (the authorizer's principal, the
// integration's status, the gateway error) for the steps after it, the access log and the
// metrics.
//
// A Request belongs to the goroutine serving the request. Fields written from elsewhere (the
// transport's body-writing goroutine) are atomics.
package reqctx

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico/internal/reqend"

	"github.com/portico-dev/portico/dataplane/router"
)

// Request is the per-request state.
type Request struct {
	// ID is the request id, sent back as x-request-id.
	ID string
	// Start is when the proxy received the request.
	Start time.Time
	// SourceIP is the client address: the connection's, or the nearest untrusted address in
	// X-Forwarded-For when the connection comes from a trusted proxy.
	SourceIP string
	// PeerTrusted is whether the connection comes from a trusted proxy, whose forwarding
	// headers are kept.
	PeerTrusted bool
	// Host is the request's host without its port, lower case.
	Host string
	// Path is the escaped request path, stage included ("/prod/pets/7").
	Path string
	// StagePath is the escaped path under the stage ("/pets/7"); empty for the stage root.
	// Through a domain name it is the path under the base path mapping's.
	StagePath string
	// Domain is set when a domain name's base path mapping routed the request: Path then
	// begins with the base path, not the stage name, and the 1.0 Lambda events' path is all
	// of Path, as AWS sends it.
	Domain bool

	// Stage is the stage name (the path prefix), StageKey its resource name
	// ("<namespace>/<stage object>"), API "<namespace>/<restApi>". Empty until a stage matched.
	Stage, StageKey, API string
	// Variant is "stable" or "canary" once a stage matched.
	Variant string
	// Variables are the stage variables of the variant serving the request.
	Variables map[string]string
	// RouteName and ResourcePath ("/pets/{petId}") name the matched route.
	RouteName, ResourcePath string
	// Params are the matched route's path parameters.
	Params router.Match

	// Authorizer is what an authorization step found; its zero value means none ran.
	Authorizer Authorizer
	// APIKeyID names the API key an API key step accepted (the Secret's name); empty means
	// none was checked.
	APIKeyID string
	// ClientCert is the client certificate of a mutual TLS domain; nil without one.
	ClientCert *ClientCert

	// Error is the gateway response the request got, if any.
	Error Error
	// Integration is what the integration did.
	Integration Integration
	// Target is the integration request's URL, once chosen.
	Target *url.URL
	// TargetURL is room for Target, so that an integration's fixed URL is copied for the
	// request without an allocation of its own.
	TargetURL url.URL
	// DataTrace is set when the execution log records the request's data (dataTrace): the
	// integration then keeps what it sent in EndpointHeaders and MappedBody.
	DataTrace bool
	// EndpointHeaders are the headers of the integration request as sent, for the execution
	// log's dataTrace (read after the call, when nothing writes them any more); nil until sent.
	EndpointHeaders http.Header
	// MappedBody is the body a non-proxy integration sent after its templates, for the
	// execution log's dataTrace; nil for proxy integrations.
	MappedBody []byte
	// EndpointBody is the backend's answer before a non-proxy integration's response
	// templates, for the execution log's dataTrace; nil for proxy integrations, whose answer
	// streams to the client as it is.
	EndpointBody []byte
	// Validated is set by request validation when the request passed it.
	Validated bool

	// Added for Lambda fidelity (issue 15).

	// RouteMethods are the matched route's methods as declared ("ANY"), for routeKey.
	RouteMethods []string
	// APIKey is the API key value an API key step accepted, $context.identity.apiKey.
	APIKey string
	// SelectedAPIKey is the key a WEBSOCKET API's apiKeySelectionExpression found in the
	// $connect request, which the API key step reads instead of x-api-key when KeySelected.
	SelectedAPIKey string
	KeySelected    bool

	bodyTooLarge atomic.Bool
	bodyBroken   atomic.Bool
	// body is the request body once a step read it (ReadBody).
	body *Body
	// retained is set by Retain.
	retained bool
}

// Authorizer is the outcome of an authorization step: $context.authorizer.*.
type Authorizer struct {
	// Authorized is set by the step that verified the caller. The proxy refuses a route that
	// names an authorizer when no step set it, rather than serve it unprotected.
	Authorized bool
	// PrincipalID is $context.authorizer.principalId.
	PrincipalID string
	// Context holds the other $context.authorizer.<key> values (claims, function context).
	Context map[string]string
	// UsageIdentifierKey is the API key a function authorizer returned, used when the API's
	// apiKeySource is AUTHORIZER.
	UsageIdentifierKey string
	// InvalidateCache is whether the caller may invalidate a cache entry of this method with
	// Cache-Control: max-age=0: a function authorizer's policy allows
	// execute-api:InvalidateCache on the method's ARN, or a JWT carries the stage's
	// invalidation scope. The authorizer decides it, since only it knows the caller's
	// permissions; the cache step only reads it.
	InvalidateCache bool

	// Added for Lambda fidelity (issue 15).

	// JWT is set by a JWT authorizer, whose claims are Context's "claims.<name>" entries;
	// Scopes are the token's scopes.
	JWT    bool
	Scopes []string
	// Values are a function authorizer's context values as the JSON it answered, so that
	// Lambda events carry their types (numbers, booleans). Shared read-only.
	Values map[string]json.RawMessage
	// Latency is how long a function authorizer's decision took (about nothing from its
	// cache): payload 1.0 events' requestContext.authorizer.integrationLatency.
	Latency time.Duration
	// Status is what the authorizer step (a function's or a JWT's) came to, for access
	// logs' $context.authorizer.status: 200 when it allowed, else the status of the refusal
	// (401, 403, 500); zero when none ran. Error is why it refused.
	Status int
	Error  string
}

// DomainPrefix is the first label of the host the request called: $context.domainPrefix,
// requestContext.domainPrefix.
func (r *Request) DomainPrefix() string {
	prefix, _, _ := strings.Cut(r.Host, ".")
	return prefix
}

// LogValue is $context.authorizer.<key> in an access log line: the variables AWS defines
// for access logs alone (status, latency, integrationLatency, integrationStatus, error)
// once an authorizer ran, else Get's.
func (a *Authorizer) LogValue(key string) string {
	if a.Status != 0 {
		switch key {
		case "status", "integrationStatus":
			return strconv.Itoa(a.Status)
		case "latency", "integrationLatency":
			return strconv.FormatInt(a.Latency.Milliseconds(), 10)
		case "error":
			return a.Error
		}
	}
	return a.Get(key)
}

// ClaimPrefix begins the Context key of a JWT authorizer's claim: "claims.<name>", which
// $context.authorizer.claims.<name> reads.
const ClaimPrefix = "claims."

// Claim reports whether key of Context is a JWT authorizer's claim, and the claim's name.
func (a *Authorizer) Claim(key string) (name string, ok bool) {
	if !a.JWT {
		return "", false
	}
	return strings.CutPrefix(key, ClaimPrefix)
}

// Get returns $context.authorizer.<key>.
func (a *Authorizer) Get(key string) string {
	if key == "principalId" {
		return a.PrincipalID
	}
	return a.Context[key]
}

// Error is a gateway response sent to the client.
type Error struct {
	// Type is the gateway response type ("THROTTLED"); Message its message.
	Type, Message string
	// ValidationErrorString is $context.error.validationErrorString: what request
	// validation found wrong, for access logs and gateway response templates.
	ValidationErrorString string
}

// Integration records the integration call.
type Integration struct {
	// Called is set once a request went to the backend (not for MOCK).
	Called bool
	// Status is the backend's status code; zero when it did not answer.
	Status int
	// Start is when the call began (the execution log's endpoint request time), and Latency
	// how long the backend took to answer with headers.
	Start   time.Time
	Latency time.Duration
	// Endpoint is the backend address the request went to.
	Endpoint string
	// Error says why the backend call failed.
	Error string
}

// Done is called once the request is served, when no step reads its body any more: the
// memory a mapping template's reading of the body took (its vtl.Tape) goes back for the next
// request's, which saves a request with a template on a 4 KB body a third of what it allocates.
func (r *Request) Done() {
	if r.body != nil {
		r.body.release()
	}
}

// Retain records that something may use the request's state after its handler returns: its
// context, this Request, its *http.Request or its body; a transport that may go on reading
// the body in the background, or ReverseProxy's goroutines around an upgraded connection. The
// proxy then leaves that state to the collector rather than reuse it for another request.
// Called on the request's goroutine.
func (r *Request) Retain() { r.retained = true }

// Retained reports whether Retain was called.
func (r *Request) Retained() bool { return r.retained }

// MarkBodyTooLarge records that the request body went over the limit while it was streamed.
// Safe to call from any goroutine.
func (r *Request) MarkBodyTooLarge() { r.bodyTooLarge.Store(true) }

// BodyTooLarge reports whether MarkBodyTooLarge was called.
func (r *Request) BodyTooLarge() bool { return r.bodyTooLarge.Load() }

// MarkBodyBroken records that the client's body could not be read to its end: its chunked
// framing was malformed, or the client stopped sending before the length it declared. The
// request is then the client's fault (400), whatever error the backend call wraps it in.
// Safe to call from any goroutine.
func (r *Request) MarkBodyBroken() { r.bodyBroken.Store(true) }

// BodyBroken reports whether MarkBodyBroken was called.
func (r *Request) BodyBroken() bool { return r.bodyBroken.Load() }

type key struct{}

// With returns ctx carrying r.
func With(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, key{}, r)
}

// From returns the Request in ctx, or nil.
func From(ctx context.Context) *Request {
	r, _ := ctx.Value(key{}).(*Request)
	return r
}

// Context is a context carrying a Request, like With's, but meant to be embedded in a larger
// per-request struct so that carrying the Request costs no allocation of its own: the proxy
// allocates one struct per request for everything it keeps. Set Context (the parent) before
// use; From finds Req in it and in every context derived from it.
type Context struct {
	context.Context
	Req Request
}

// Value returns &c.Req for From, and asks the parent for every other key, which also keeps
// the context package's own lookups (cancellation) going to the parent.
func (c *Context) Value(k any) any {
	if _, ok := k.(key); ok {
		return &c.Req
	}
	return c.Context.Value(k)
}

// OnEnd passes reqend's registration on to the server's request context, so that the
// upstream client's interrupt costs no allocation (reqend).
func (c *Context) OnEnd(f func()) (uint64, bool) { return reqend.OnEnd(c.Context, f) }

// StopOnEnd passes reqend's stop on to the server's request context.
func (c *Context) StopOnEnd(id uint64) bool { return reqend.StopOnEnd(c.Context, id) }
