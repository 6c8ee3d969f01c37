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

package accesslog

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

func sampleEntry() *Entry {
	return &Entry{
		RequestID: "rid", SourceIP: "192.0.2.1", UserAgent: "curl/8", HTTPMethod: "GET",
		ResourcePath: "/pets/{petId}", Path: "/prod/pets/7", Stage: "prod", APIID: "default/pets",
		DomainName: "pets.example.com", Protocol: "HTTP/1.1", Variant: "canary",
		Status: 200, ResponseLength: 42, ResponseLatency: 1500 * time.Microsecond,
		IntegrationCalled: true, IntegrationLatency: 3 * time.Millisecond, IntegrationStatus: 201,
		PrincipalID: "alice",
		Authorizer:  func(k string) string { return map[string]string{"principalId": "alice", "claims.sub": "a1"}[k] },
		RequestTime: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

func TestFormat(t *testing.T) {
	cases := []struct{ format, want string }{
		{
			`$context.requestId $context.identity.sourceIp "$context.httpMethod $context.path $context.protocol" $context.status $context.responseLength`,
			`rid 192.0.2.1 "GET /prod/pets/7 HTTP/1.1" 200 42`,
		},
		{
			`[$context.requestTime] $context.requestTimeEpoch $context.stage $context.resourcePath $context.routeKey`,
			`[04/Mar/2026:05:06:07 +0000] 1772600767000 prod /pets/{petId} GET /pets/{petId}`,
		},
		{
			`$context.responseLatency/$context.integrationLatency/$context.integrationStatus/$context.integration.status`,
			`1/3/201/201`,
		},
		{
			`$context.authorizer.principalId $context.authorizer.claims.sub $context.authorizer.missing.`,
			`alice a1 -.`,
		},
		{`$context.error.message|$context.error.responseType|$context.xrayTraceId|$context.|$context`, `-|-|-|$context.|$context`},
		{`$context.canaryVariant $context.domainName $context.apiId $context.identity.userAgent`, `canary pets.example.com default/pets curl/8`},
		{`$context.isCanaryRequest`, `true`}, // AWS's name for it
		{`no variables`, `no variables`},
		{`$context.identity.apiKeyId $context.domainPrefix $context.integration.integrationStatus`, `- pets 201`},
		{`$context.traceId $context.xrayTraceId`, `- -`}, // not traced
		{``, ``},
	}
	for _, c := range cases {
		f := Parse(c.format)
		if got := string(f.Append(nil, sampleEntry())); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.format, got, c.want)
		}
	}
	if u := Parse(`$context.xrayTraceId $context.status $context.foo.bar $context.bar`).Unknown(); len(u) != 2 || u[0] != "$context.foo.bar" || u[1] != "$context.bar" {
		t.Errorf("unknown: %v", u)
	}
}

// $context.routeKey is the route's key as declared ("ANY /pets/{petId}" for an ANY route),
// as Lambda events have it; the key's id once the API key step accepted one.
func TestRouteKeyAndKeyID(t *testing.T) {
	e := sampleEntry()
	e.RouteMethod, e.APIKeyID = "ANY", "customer-a"
	if got := string(Parse(`$context.routeKey $context.identity.apiKeyId`).Append(nil, e)); got != "ANY /pets/{petId} customer-a" {
		t.Errorf("got %s", got)
	}
}

func TestNoIntegration(t *testing.T) {
	e := sampleEntry()
	e.IntegrationCalled = false
	e.ErrorMessage, e.ErrorType = "Not Found", "RESOURCE_NOT_FOUND"
	got := string(Parse(`$context.integrationLatency $context.integrationStatus $context.error.message $context.error.responseType`).Append(nil, e))
	if got != "- - Not Found RESOURCE_NOT_FOUND" {
		t.Errorf("got %s", got)
	}
}

// $context.error.messageString is the message quoted (AWS: "the quoted value of
// $context.error.message"), so a JSON format writes it without quotes of its own;
// $context.error.validationErrorString says why validation refused the request.
func TestErrorStrings(t *testing.T) {
	e := sampleEntry()
	e.Status, e.ErrorMessage, e.ErrorType = 400, `Invalid "request" body`, "BAD_REQUEST_BODY"
	e.ValidationError = `[at '/name': got number, want string]`
	f := Parse(`{"message":$context.error.messageString,"type":"$context.error.responseType","why":"$context.error.validationErrorString"}`)
	line := f.Append(nil, e)
	var got map[string]string
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if got["message"] != e.ErrorMessage || got["type"] != e.ErrorType || got["why"] != e.ValidationError {
		t.Errorf("%s: %v", line, got)
	}
	if u := f.Unknown(); len(u) != 0 {
		t.Errorf("unknown: %v", u)
	}
	plain := Parse(`$context.error.messageString $context.error.validationErrorString`)
	if got := string(plain.Append(nil, sampleEntry())); got != `"-" -` {
		t.Errorf("without an error: %s", got)
	}
	if got := string(plain.Append(nil, e)); got != `"Invalid \"request\" body" [at '/name': got number, want string]` {
		t.Errorf("plain: %s", got)
	}
}

func TestJSONEscaping(t *testing.T) {
	f := Parse(`{"path":"$context.path","ua":"$context.identity.userAgent","status":$context.status}`)
	if !f.JSON() {
		t.Fatal("a format starting with { is JSON")
	}
	e := sampleEntry()
	e.Path = "/prod/\"quoted\"\\back\nnew\u2028line\x01"
	e.UserAgent = "bad\xffutf8\t"
	line := f.Append(nil, e)
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if got["path"] != e.Path || got["ua"] != "bad\ufffdutf8\t" || got["status"] != 200.0 {
		t.Errorf("round trip: %v", got)
	}
	if bytes.ContainsAny(line, "\n\r") {
		t.Errorf("line break in %q", line)
	}

	// Outside JSON, control characters cannot start a new line either.
	plain := Parse(`$context.path`).Append(nil, e)
	if bytes.ContainsAny(plain, "\n\r\x01") || !strings.Contains(string(plain), `\x0a`) {
		t.Errorf("plain: %q", plain)
	}
}

func TestWriterLines(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	f := Parse(`{"id":"$context.requestId"}`)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				w.Write(f, sampleEntry())
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1000 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if l != `{"id":"rid"}` {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	f := Parse(`{"id":"$context.requestId","ip":"$context.identity.sourceIp","status":$context.status,"latency":$context.responseLatency,"time":"$context.requestTime"}`)
	e := sampleEntry()
	buf := make([]byte, 0, 1024)
	if a := testing.AllocsPerRun(100, func() { buf = f.Append(buf[:0], e) }); a != 0 {
		t.Errorf("%v allocations", a)
	}
}

// The format comes from users: parsing and formatting must never panic, a JSON object
// format whose variables stand in strings must always give a JSON object, whatever the
// values, and a format without variables prints as written.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{
		`{"id":"$context.requestId","status":"$context.status"}`,
		`$context.requestId $context.`, `$context.authorizer.`, `$context..x`, `$$context.path`,
		"\x00$context.path\n", `{"a":"$context.authorizer.claims.sub"}`,
	} {
		f.Add(s, "va\"lue\n\\")
	}
	f.Fuzz(func(t *testing.T, format, value string) {
		p := Parse(format)
		e := sampleEntry()
		e.RequestID, e.Path, e.UserAgent, e.ErrorMessage = value, value, value, value
		e.Authorizer = func(string) string { return value }
		line := p.Append(nil, e)
		if !strings.Contains(format, "$context.") && string(line) != format {
			t.Fatalf("format without variables %q printed %q", format, line)
		}
		// A JSON template: every variable in a string value.
		tmpl := Parse(`{"v":"` + jsonSafe(format) + `","id":"$context.requestId"}`)
		out := tmpl.Append(nil, e)
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%q gave invalid JSON %q: %v", format, out, err)
		}
	})
}

// jsonSafe keeps only the characters of s that can stand in a JSON string as written, plus
// "$context." references, so that the fuzz template is valid JSON before substitution.
func jsonSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r != '"' && r != '\\' && r != 0x7f && r != 0xfffd {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestTraceIDs(t *testing.T) {
	e := sampleEntry()
	e.TraceID = [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	got := string(Parse(`$context.traceId $context.xrayTraceId`).Append(nil, e))
	if want := "4bf92f3577b34da6a3ce929d0e0e4736 1-4bf92f35-77b34da6a3ce929d0e0e4736"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestClientCertVariables(t *testing.T) {
	f := Parse(`{"dn":"$context.identity.clientCert.subjectDN","issuer":"$context.identity.clientCert.issuerDN",` +
		`"serial":"$context.identity.clientCert.serialNumber","from":"$context.identity.clientCert.validity.notBefore",` +
		`"to":"$context.identity.clientCert.validity.notAfter","pem":"$context.identity.clientCert.clientCertPem"}`)
	if len(f.Unknown()) != 0 {
		t.Fatalf("unknown %v", f.Unknown())
	}
	e := sampleEntry()
	if got := string(f.Append(nil, e)); got != `{"dn":"-","issuer":"-","serial":"-","from":"-","to":"-","pem":"-"}` {
		t.Errorf("without a certificate: %s", got)
	}
	e.ClientCert = &reqctx.ClientCert{ClientCertPem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
		SubjectDN: `CN=a "b"`, IssuerDN: "CN=ca", SerialNumber: "0a:1b", NotBefore: "May 28 12:30:02 2019 GMT", NotAfter: "May  5 12:30:02 2119 GMT"}
	var got map[string]string
	if err := json.Unmarshal(f.Append(nil, e), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dn": `CN=a "b"`, "issuer": "CN=ca", "serial": "0a:1b", "from": "May 28 12:30:02 2019 GMT",
		"to": "May  5 12:30:02 2119 GMT", "pem": e.ClientCert.ClientCertPem}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
