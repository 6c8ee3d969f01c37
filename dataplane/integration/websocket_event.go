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

package integration

// WebSocketContext is the requestContext of Amazon API Gateway's WebSocket events: the one a
// LAMBDA_PROXY integration gets for each event of a connection (dataplane/websocket), and the
// one a REQUEST authorizer on $connect gets (dataplane/auth/lambda), which AWS shapes alike.
type WebSocketContext struct {
	RouteKey             string            `json:"routeKey"`
	MessageID            string            `json:"messageId,omitempty"`
	EventType            string            `json:"eventType"`
	ExtendedRequestID    string            `json:"extendedRequestId"`
	RequestTime          string            `json:"requestTime"`
	MessageDirection     string            `json:"messageDirection"`
	Stage                string            `json:"stage"`
	ConnectedAt          int64             `json:"connectedAt"`
	RequestTimeEpoch     int64             `json:"requestTimeEpoch"`
	Identity             WebSocketIdentity `json:"identity"`
	RequestID            string            `json:"requestId"`
	DomainName           string            `json:"domainName"`
	ConnectionID         string            `json:"connectionId"`
	AccountID            string            `json:"accountId"`
	APIID                string            `json:"apiId"`
	Authorizer           map[string]any    `json:"authorizer,omitempty"`
	DisconnectStatusCode int               `json:"disconnectStatusCode,omitempty"`
	DisconnectReason     *string           `json:"disconnectReason,omitempty"`
}

// WebSocketIdentity is a WebSocket event's identity: the upgrade request's client.
type WebSocketIdentity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent,omitempty"`
	// APIKey and APIKeyID are the API key $connect accepted, as AWS's WebSocket context has
	// them; absent without one.
	APIKey   string `json:"apiKey,omitempty"`
	APIKeyID string `json:"apiKeyId,omitempty"`
	// ClientCert is the mutual TLS client certificate of a domain the connection came
	// through; absent without one.
	ClientCert *ClientCert `json:"clientCert,omitempty"`
}
