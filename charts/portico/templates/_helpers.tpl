{{/* Names and labels shared by every template. */}}
{{- define "portico.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
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

{{- define "portico.gatewayURL" -}}
{{- .Values.gatewayURL | default (printf "http://%s-proxy.%s.svc" (include "portico.fullname" .) .Release.Namespace) -}}
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
