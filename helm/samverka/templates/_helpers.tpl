{{/* Names, labels and shared pod pieces of the Samverka chart. */}}

{{- define "samverka.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "samverka.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "samverka.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "samverka.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "store"). */}}
{{- define "samverka.selectorLabels" -}}
app.kubernetes.io/name: {{ include "samverka.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "samverka.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "samverka.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "samverka.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding redis-url: the operator's existing one, or the chart's. */}}
{{- define "samverka.secretName" -}}
{{- default (printf "%s-secret" (include "samverka.fullname" .)) .Values.redis.existingSecret -}}
{{- end -}}

{{/* Whether cluster mode's Redis is configured at all. */}}
{{- define "samverka.redisConfigured" -}}
{{- if or .Values.redis.enabled .Values.redis.url .Values.redis.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* Refuses values the binary cannot run; rendered by the ConfigMap so it always runs. */}}
{{- define "samverka.validate" -}}
{{- if and .Values.gateway.enabled (not (include "samverka.redisConfigured" .)) -}}
{{- fail "gateway.enabled needs Redis (redis.enabled, redis.url or redis.existingSecret): gateways find tenants' store nodes through it" -}}
{{- end -}}
{{- if and (gt (int .Values.store.replicas) 1) (not .Values.gateway.enabled) -}}
{{- fail "store.replicas > 1 needs cluster mode (gateway.enabled): a single node owns every tenant" -}}
{{- end -}}
{{- if and .Values.ingress.tls.enabled (not .Values.ingress.tls.secretName) -}}
{{- fail "ingress.tls.enabled needs ingress.tls.secretName (a certificate for baseDomain and *.baseDomain)" -}}
{{- end -}}
{{- end -}}

{{/* Container hardening and probes shared by store and gateway containers. */}}
{{- define "samverka.containerCommon" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
ports:
  - name: http
    containerPort: 8080
    protocol: TCP
envFrom:
  - configMapRef:
      name: {{ include "samverka.fullname" . }}-config
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}
