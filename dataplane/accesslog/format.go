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

// Package accesslog writes one line per request in a stage's access log format: text with
// $context variables, as in Amazon API Gateway. A format is parsed once when a configuration
// is applied; a line is then appended variable by variable, without regular expressions or
// maps.
//
// As in CloudWatch access logs, a variable without a value prints "-". A variable Portico
// does not know also prints "-" (and Parse reports it) rather than failing the whole
// configuration: formats copied from AWS name variables that have no meaning here.
package accesslog

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico-dev/portico/dataplane/proxy/reqctx"
)

// variable identifies one $context variable.
type variable int

const (
	varLiteral variable = iota
	varRequestID
	varSourceIP
	varUserAgent
	varHTTPMethod
	varResourcePath
	varPath
	varStatus
	varResponseLength
	varResponseLatency
	varIntegrationLatency
	varIntegrationStatus
	varIntegrationError
	varStage
	varAPIID
	varRouteKey
	varDomainName
	varErrorMessage
	varErrorResponseType
	varPrincipalID
	varAuthorizerKey
	varRequestTime
	varRequestTimeEpoch
	varProtocol
	varVariant
	varIsCanaryRequest
	// WEBSOCKET events.
	varErrorMessageString
	varValidationError
	varAPIKeyID
	varDomainPrefix
	varConnectionID
	varEventType
	varMessageID
	varTraceID
	varXRayTraceID
	// Mutual TLS: $context.identity.clientCert.*.
	varClientCertPem
	varClientSubjectDN
	varClientIssuerDN
	varClientSerialNumber
	varClientNotBefore
	varClientNotAfter
	varUnknown
)

// names maps variable names (after "$context.") to variables; several AWS spellings of one
// value share a variable.
var names = map[string]variable{
	"requestId":               varRequestID,
	"extendedRequestId":       varRequestID,
	"identity.sourceIp":       varSourceIP,
	"identity.userAgent":      varUserAgent,
	"httpMethod":              varHTTPMethod,
	"resourcePath":            varResourcePath,
	"path":                    varPath,
	"status":                  varStatus,
	"responseLength":          varResponseLength,
	"responseLatency":         varResponseLatency,
	"integrationLatency":      varIntegrationLatency,
	"integration.latency":     varIntegrationLatency,
	"integrationStatus":       varIntegrationStatus,
	"integration.status":      varIntegrationStatus,
	"integrationErrorMessage": varIntegrationError,
	"integration.error":       varIntegrationError,
	"stage":                   varStage,
	"apiId":                   varAPIID,
	"routeKey":                varRouteKey,
	"domainName":              varDomainName,
	"error.message":           varErrorMessage,
	"error.messageString":     varErrorMessageString,
	"error.responseType":      varErrorResponseType,

	"error.validationErrorString":   varValidationError,
	"identity.apiKeyId":             varAPIKeyID,
	"domainPrefix":                  varDomainPrefix,
	"integration.integrationStatus": varIntegrationStatus,
	"authorizer.principalId":        varPrincipalID,
	"requestTime":                   varRequestTime,
	"requestTimeEpoch":              varRequestTimeEpoch,
	"protocol":                      varProtocol,
	"canaryVariant":                 varVariant,
	"isCanaryRequest":               varIsCanaryRequest,
	"connectionId":                  varConnectionID,
	"eventType":                     varEventType,
	"messageId":                     varMessageID,
	"traceId":                       varTraceID,
	"xrayTraceId":                   varXRayTraceID,

	"identity.clientCert.clientCertPem":      varClientCertPem,
	"identity.clientCert.subjectDN":          varClientSubjectDN,
	"identity.clientCert.issuerDN":           varClientIssuerDN,
	"identity.clientCert.serialNumber":       varClientSerialNumber,
	"identity.clientCert.validity.notBefore": varClientNotBefore,
	"identity.clientCert.validity.notAfter":  varClientNotAfter,
}

type part struct {
	v       variable
	literal string // the text of a literal, or the key of $context.authorizer.<key>
}

// Format is a parsed access log format. It is immutable.
type Format struct {
	parts   []part
	json    bool
	unknown []string
}

const prefix = "$context."

// Parse parses a format. It never fails: text that is not a known $context variable is kept
// as written, and unknown variables are listed by Unknown.
func Parse(format string) *Format {
	f := &Format{json: strings.HasPrefix(strings.TrimSpace(format), "{")}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, part{v: varLiteral, literal: lit.String()})
			lit.Reset()
		}
	}
	for format != "" {
		i := strings.Index(format, prefix)
		if i < 0 {
			lit.WriteString(format)
			break
		}
		lit.WriteString(format[:i])
		format = format[i+len(prefix):]
		n := 0
		for n < len(format) && isNameByte(format[n]) {
			n++
		}
		name := strings.TrimRight(format[:n], ".")
		if name == "" {
			lit.WriteString(prefix)
			continue
		}
		format = format[len(name):]
		flush()
		if v, ok := names[name]; ok {
			f.parts = append(f.parts, part{v: v})
		} else if key, ok := strings.CutPrefix(name, "authorizer."); ok {
			f.parts = append(f.parts, part{v: varAuthorizerKey, literal: key})
		} else {
			f.parts = append(f.parts, part{v: varUnknown})
			f.unknown = append(f.unknown, prefix+name)
		}
	}
	flush()
	return f
}

func isNameByte(c byte) bool {
	return c == '.' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// Unknown lists the variables of the format that Portico does not know; they print "-".
func (f *Format) Unknown() []string { return f.unknown }

// JSON reports whether the format is a JSON object, whose substituted values are escaped
// as JSON string content.
func (f *Format) JSON() bool { return f.json }

// Entry holds the values of one request.
type Entry struct {
	RequestID, SourceIP, UserAgent, HTTPMethod   string
	ResourcePath, Path, Stage, APIID, DomainName string
	Protocol, Variant                            string
	Status                                       int
	ResponseLength                               int64
	ResponseLatency                              time.Duration
	// IntegrationCalled says whether IntegrationLatency and IntegrationStatus are set.
	IntegrationCalled  bool
	IntegrationLatency time.Duration
	IntegrationStatus  int
	IntegrationError   string
	ErrorMessage       string
	ErrorType          string
	// ValidationError is $context.error.validationErrorString: why request validation
	// refused the request.
	ValidationError string
	// APIKeyID names the API key the request was accepted with; RouteMethod is the method of
	// the route key as the route declares it ("ANY" for an ANY route), for $context.routeKey.
	APIKeyID, RouteMethod string
	PrincipalID           string
	// Authorizer returns $context.authorizer.<key>; nil means none.
	Authorizer  func(key string) string
	RequestTime time.Time
	// WEBSOCKET events: the connection, CONNECT | MESSAGE | DISCONNECT, the message's id, and
	// the route key ($context.routeKey is "METHOD /resource" for HTTP APIs).
	ConnectionID, EventType, MessageID, RouteKey string
	// TraceID is the request's OpenTelemetry trace id; all zero when it was not traced.
	TraceID [16]byte
	// ClientCert is the mutual TLS client certificate; nil without one.
	ClientCert *reqctx.ClientCert
}

// requestTimeLayout is AWS's $context.requestTime, in Common Log Format.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// Append appends the line for e (without a newline) to b.
func (f *Format) Append(b []byte, e *Entry) []byte {
	for i := range f.parts {
		p := &f.parts[i]
		switch p.v {
		case varLiteral:
			b = append(b, p.literal...)
		case varRequestID:
			b = f.str(b, e.RequestID)
		case varSourceIP:
			b = f.str(b, e.SourceIP)
		case varUserAgent:
			b = f.str(b, e.UserAgent)
		case varHTTPMethod:
			b = f.str(b, e.HTTPMethod)
		case varResourcePath:
			b = f.str(b, e.ResourcePath)
		case varPath:
			b = f.str(b, e.Path)
		case varStatus:
			b = strconv.AppendInt(b, int64(e.Status), 10)
		case varResponseLength:
			b = strconv.AppendInt(b, e.ResponseLength, 10)
		case varResponseLatency:
			b = strconv.AppendInt(b, e.ResponseLatency.Milliseconds(), 10)
		case varIntegrationLatency:
			if e.IntegrationCalled {
				b = strconv.AppendInt(b, e.IntegrationLatency.Milliseconds(), 10)
			} else {
				b = append(b, '-')
			}
		case varIntegrationStatus:
			if e.IntegrationCalled && e.IntegrationStatus != 0 {
				b = strconv.AppendInt(b, int64(e.IntegrationStatus), 10)
			} else {
				b = append(b, '-')
			}
		case varIntegrationError:
			b = f.str(b, e.IntegrationError)
		case varStage:
			b = f.str(b, e.Stage)
		case varAPIID:
			b = f.str(b, e.APIID)
		case varRouteKey:
			if e.RouteKey != "" {
				b = f.str(b, e.RouteKey)
			} else if e.ResourcePath == "" {
				b = append(b, '-')
			} else {
				m := e.RouteMethod
				if m == "" {
					m = e.HTTPMethod
				}
				b = f.str(b, m+" "+e.ResourcePath)
			}
		case varDomainName:
			b = f.str(b, e.DomainName)
		case varErrorMessage:
			b = f.str(b, e.ErrorMessage)
		case varErrorMessageString:
			// AWS: "the quoted value of $context.error.message", written unquoted in a
			// JSON format ("message": $context.error.messageString): a JSON string in any
			// format, so its content is escaped as JSON's.
			b = append(b, '"')
			if e.ErrorMessage == "" {
				b = append(b, '-')
			} else {
				b = appendJSONEscaped(b, e.ErrorMessage)
			}
			b = append(b, '"')
		case varValidationError:
			b = f.str(b, e.ValidationError)
		case varAPIKeyID:
			b = f.str(b, e.APIKeyID)
		case varDomainPrefix:
			prefix, _, _ := strings.Cut(e.DomainName, ".")
			b = f.str(b, prefix)
		case varErrorResponseType:
			b = f.str(b, e.ErrorType)
		case varPrincipalID:
			b = f.str(b, e.PrincipalID)
		case varAuthorizerKey:
			v := ""
			if e.Authorizer != nil {
				v = e.Authorizer(p.literal)
			}
			b = f.str(b, v)
		case varRequestTime:
			b = e.RequestTime.AppendFormat(b, requestTimeLayout)
		case varRequestTimeEpoch:
			b = strconv.AppendInt(b, e.RequestTime.UnixMilli(), 10)
		case varProtocol:
			b = f.str(b, e.Protocol)
		case varVariant:
			b = f.str(b, e.Variant)
		case varIsCanaryRequest:
			// AWS's boolean; "-" before a stage matched, as canaryVariant.
			switch e.Variant {
			case "":
				b = f.str(b, "")
			case "canary":
				b = append(b, "true"...)
			default:
				b = append(b, "false"...)
			}
		case varConnectionID:
			b = f.str(b, e.ConnectionID)
		case varEventType:
			b = f.str(b, e.EventType)
		case varMessageID:
			b = f.str(b, e.MessageID)
		case varTraceID:
			b = appendTraceID(b, &e.TraceID, false)
		case varXRayTraceID:
			b = appendTraceID(b, &e.TraceID, true)
		case varClientCertPem, varClientSubjectDN, varClientIssuerDN, varClientSerialNumber, varClientNotBefore, varClientNotAfter:
			b = f.str(b, clientCertField(e.ClientCert, p.v))
		default:
			b = append(b, '-')
		}
	}
	return b
}

// clientCertField is one $context.identity.clientCert.* value of c; empty without one.
func clientCertField(c *reqctx.ClientCert, v variable) string {
	if c == nil {
		return ""
	}
	switch v {
	case varClientCertPem:
		return c.ClientCertPem
	case varClientSubjectDN:
		return c.SubjectDN
	case varClientIssuerDN:
		return c.IssuerDN
	case varClientSerialNumber:
		return c.SerialNumber
	case varClientNotBefore:
		return c.NotBefore
	default:
		return c.NotAfter
	}
}

// str appends a value, "-" when empty, escaped so that it cannot end the line or, in a JSON
// format, the string it stands in.
func (f *Format) str(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	if f.json {
		return appendJSONEscaped(b, s)
	}
	return appendLineEscaped(b, s)
}

const hexDigits = "0123456789abcdef"

// appendJSONEscaped appends s as the content of a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced.
func appendJSONEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// appendLineEscaped appends s with control characters written as \xHH, so that a value
// cannot start a new log line.
func appendLineEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendTraceID appends a trace id in hex, or "-" for none. xray writes it as X-Ray spells
// the same 128 bits: "1-" then the first 32 bits (X-Ray's epoch seconds) and the other 96,
// which is how OpenTelemetry's X-Ray propagator maps one to the other.
func appendTraceID(b []byte, id *[16]byte, xray bool) []byte {
	if *id == ([16]byte{}) {
		return append(b, '-')
	}
	const hex = "0123456789abcdef"
	if xray {
		b = append(b, "1-"...)
	}
	for i, c := range id {
		if xray && i == 4 {
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	return b
}
