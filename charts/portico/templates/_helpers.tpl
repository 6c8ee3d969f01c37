{{/* Names and labels shared by every template. The fullname is cut to 44 characters so
that the longest name built on it, the Service <fullname>-controller-metrics (19 more),
stays within the 63 characters of a Service name (a DNS label). Other suffixes:
-proxy-connections (18), -leader-election (16), -controller-xds (15), -proxy-admin (12),
-controller (11), -dashboard (10), -xds-tls (8), -redis, -proxy (6). */}}
{{- define "portico.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 44 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 44 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "portico.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "portico.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "portico.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "portico.tlsSecret" -}}
{{- .Values.xdsTLS.secretName | default (printf "%s-xds-tls" (include "portico.fullname" .)) -}}
{{- end -}}

{{/* The proxy Service's address in the cluster, with its port unless that is HTTP's 80. */}}
{{- define "portico.gatewayURL" -}}
{{- $port := int .Values.proxy.service.port -}}
{{- $default := printf "http://%s-proxy.%s.svc%s" (include "portico.fullname" .) .Release.Namespace (ternary "" (printf ":%d" $port) (eq $port 80)) -}}
{{- .Values.gatewayURL | default $default -}}
{{- end -}}

{{/* Whether the proxies keep token buckets and quota counters in Redis (redis.state). */}}
{{- define "portico.stateRedis" -}}
{{- if or .Values.redis.state.url .Values.redis.state.existingSecret }}true{{ end -}}
{{- end -}}

{{/* Combinations the schema cannot refuse on its own: rendering fails with why. */}}
{{- define "portico.validate" -}}
{{- if and (not .Values.controller.leaderElect) (gt (int .Values.controller.replicas) 1) -}}
{{- fail (printf "controller.leaderElect=false with controller.replicas=%d: every replica would act as the leader (writing revisions and status against the others). Set controller.leaderElect=true, or controller.replicas=1." (int .Values.controller.replicas)) -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled .Values.podMonitor.enabled -}}
{{- fail "serviceMonitor.enabled and podMonitor.enabled are both true: Prometheus would scrape every pod twice and double every metric. Enable one of them." -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding a Redis URL: the user's, or the chart's own when a URL is given. */}}
{{- define "portico.redisSecret" -}}
{{- .redis.existingSecret | default (printf "%s-redis" (include "portico.fullname" .root)) -}}
{{- end }}

{{/* The env entry of one Redis use (state or cache), when it is configured: portico reads
the URL from PORTICO_STATE_REDIS or PORTICO_CACHE_REDIS, so that a password stays off the
command line. Called with dict "root" $ "redis" .Values.redis.<use> "env" "PORTICO_STATE_REDIS"
"key" "state-url" (the key in the chart's own Secret; a user's Secret holds "url"). */}}
{{- define "portico.redisEnv" -}}
{{- if or .redis.url .redis.existingSecret -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef: {name: {{ include "portico.redisSecret" . }}, key: {{ ternary "url" .key (not (empty .redis.existingSecret)) }}}
{{- end -}}
{{- end }}
