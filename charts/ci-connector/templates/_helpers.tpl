{{/*
Names, labels, images and the environment shared by the components.
Components: registration-service, policy-sync-worker, sip-signaling, call-events,
widget-gateway, rtpengine. Each template passes a dict: { "root": $, "component": "<name>" }.
*/}}

{{- define "ci-connector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ci-connector.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<component>, at most 63 characters. */}}
{{- define "ci-connector.componentName" -}}
{{- $full := include "ci-connector.fullname" .root -}}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len .component)))) .component | trimSuffix "-" -}}
{{- end -}}

{{- define "ci-connector.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; with a component, its label too. */}}
{{- define "ci-connector.labels" -}}
{{- $root := .root -}}
helm.sh/chart: {{ include "ci-connector.chart" $root }}
app.kubernetes.io/name: {{ include "ci-connector.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: ci-connector
ci-connector.io/region: {{ $root.Values.region | quote }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels: immutable, so only name, instance and component. */}}
{{- define "ci-connector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ci-connector.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* metadata.annotations of every object (commonAnnotations), with extra ones. Usage: include ... (dict "root" $ "extra" .annotations) */}}
{{- define "ci-connector.annotations" -}}
{{- $all := merge (deepCopy (default (dict) .extra)) (deepCopy (default (dict) .root.Values.commonAnnotations)) -}}
{{- if $all }}
annotations:
  {{- toYaml $all | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "ci-connector.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ci-connector.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository:tag or @digest. Usage: include "ci-connector.image" (dict "root" $ "image" .Values.x.image "ours" true) */}}
{{- define "ci-connector.image" -}}
{{- $root := .root -}}
{{- $registry := .image.registry -}}
{{- if and (not $registry) .ours -}}{{- $registry = $root.Values.image.registry -}}{{- end -}}
{{- if not $registry -}}{{- $registry = $root.Values.global.imageRegistry -}}{{- end -}}
{{- $tag := .image.tag -}}
{{- if and (not $tag) .ours -}}{{- $tag = default $root.Chart.AppVersion $root.Values.image.tag -}}{{- end -}}
{{- $ref := .image.repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref -}}{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $ref .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref (toString $tag) -}}
{{- end -}}
{{- end -}}

{{- define "ci-connector.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Checks that hold across values (values.schema.json checks each value on its own). */}}
{{- define "ci-connector.validate" -}}
{{- $v := .Values -}}
{{- /* The services refuse KAFKA_TLS_* without KAFKA_TLS=true and SASL settings without a mechanism: so does the chart, before a pod fails. */ -}}
{{- if not $v.kafka.tls.enabled -}}
{{- range $key := list "caSecretName" "clientCertSecretName" "serverName" -}}
{{- if get $v.kafka.tls $key -}}
{{- fail (printf "kafka.tls.%s is set but kafka.tls.enabled is false: the services would talk to the brokers without TLS (set kafka.tls.enabled=true, or clear kafka.tls.%s)" $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $v.kafka.sasl.enabled -}}
{{- range $key := list "username" "passwordSecretName" -}}
{{- if get $v.kafka.sasl $key -}}
{{- fail (printf "kafka.sasl.%s is set but kafka.sasl.enabled is false: the services would not authenticate to the brokers (set kafka.sasl.enabled=true, or clear kafka.sasl.%s)" $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (not $v.redis.existingSecret) (not $v.redis.host) -}}
{{- fail "redis.host or redis.existingSecret: give Redis's host, or a Secret holding the whole REDIS_URL" -}}
{{- end -}}
{{- if or $v.registrationService.enabled $v.policySyncWorker.enabled -}}
{{- if not $v.ciApi.credential.secretName -}}
{{- if or (eq $v.ciApi.credential.type "secret") (not $v.ciApi.clientId) -}}
{{- fail "ciApi.credential.secretName: the Secret with the Entra app's client-id and client-secret is needed by registration-service and policy-sync-worker" -}}
{{- end -}}
{{- end -}}
{{- if and (eq $v.ciApi.credential.type "certificate") (not $v.ciApi.credential.certificateSecretName) -}}
{{- fail "ciApi.credential.certificateSecretName: ciApi.credential.type is certificate: name the kubernetes.io/tls Secret of the Entra app's certificate" -}}
{{- end -}}
{{- end -}}
{{- if and (or $v.callEvents.enabled $v.widgetGateway.enabled) (not $v.apiKeys.secretName) -}}
{{- fail "apiKeys.secretName: the Secret with widget-token-secret is needed by call-events and widget-gateway" -}}
{{- end -}}
{{- if $v.sipSignaling.enabled -}}
{{- $sip := $v.sipSignaling -}}
{{- if and $sip.sip.tls.enabled (not $sip.sip.tls.secretName) -}}
{{- fail "sipSignaling.sip.tls.secretName: sipSignaling.sip.tls.enabled needs the kubernetes.io/tls Secret of the SIPS server certificate" -}}
{{- end -}}
{{- if and $sip.sip.tls.requireClientCert (not $sip.sip.tls.clientCaSecretName) -}}
{{- fail "sipSignaling.sip.tls.clientCaSecretName: sipSignaling.sip.tls.requireClientCert needs the CAs the trunk's client certificates chain to" -}}
{{- end -}}
{{- if not (or $sip.sip.udp.enabled $sip.sip.tcp.enabled $sip.sip.tls.enabled) -}}
{{- fail "sipSignaling.sip: enable at least one of udp, tcp, tls" -}}
{{- end -}}
{{- if and $sip.sip.tls.enabled $sip.sip.tcp.enabled (eq (int $sip.sip.tls.port) (int $sip.sip.tcp.port)) -}}
{{- fail "sipSignaling.sip.tls.port: must differ from sipSignaling.sip.tcp.port" -}}
{{- end -}}
{{- if and (eq $sip.network.mode "service") (not $sip.network.advertisedAddress) -}}
{{- fail "sipSignaling.network.advertisedAddress: service mode needs the address callers reach (the load balancer's IP or DNS name, or a node's for NodePort)" -}}
{{- end -}}
{{- if and $sip.recording.tls.certManager.enabled (not $sip.recording.tls.certManager.issuerRef.name) -}}
{{- fail "sipSignaling.recording.tls.certManager.issuerRef.name: the cert-manager Issuer or ClusterIssuer of the SIPS client certificate" -}}
{{- end -}}
{{- if and $sip.rtpengine.enabled (not $v.rtpengine.enabled) (not $sip.rtpengine.host) -}}
{{- fail "sipSignaling.rtpengine.host: rtpengine.enabled is false, so name the rtpengine sip-signaling should use (or set sipSignaling.rtpengine.enabled=false)" -}}
{{- end -}}
{{- end -}}
{{- if and $v.callEvents.enabled $v.callEvents.mtls.enabled -}}
{{- if not $v.callEvents.mtls.secretName -}}
{{- fail "callEvents.mtls.secretName: callEvents.mtls.enabled needs the kubernetes.io/tls Secret of the listeners' certificate" -}}
{{- end -}}
{{- if not $v.callEvents.mtls.caSecretName -}}
{{- fail "callEvents.mtls.caSecretName: callEvents.mtls.enabled needs the CA(s) of the partners' client certificates" -}}
{{- end -}}
{{- end -}}
{{- if gt (int $v.rtpengine.portMin) (int $v.rtpengine.portMax) -}}
{{- fail (printf "rtpengine.portMin: %v is above rtpengine.portMax %v" $v.rtpengine.portMin $v.rtpengine.portMax) -}}
{{- end -}}
{{- end -}}

{{/* REDIS_URL: from the Secret holding it, else built from host/port/db/tls. */}}
{{- define "ci-connector.env.redis" -}}
{{- $r := .Values.redis -}}
- name: REDIS_URL
{{- if $r.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ $r.existingSecret }}
      key: {{ $r.existingSecretUrlKey }}
{{- else }}
  value: {{ printf "%s://%s:%v/%v" (ternary "rediss" "redis" $r.tls) $r.host $r.port $r.db | quote }}
{{- end }}
- name: REDIS_KEY_PREFIX
  value: {{ $r.keyPrefix | quote }}
{{- if $r.caSecretName }}
{{- /* Node adds these CAs to its own for every TLS connection at start: how ioredis trusts a private CA */}}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/ci-connector/redis-ca/ca.crt
{{- end }}
{{- end -}}

{{/* Variables every service reads: LOG_LEVEL, REGION, metrics, OpenTelemetry. Usage: dict "root" $ "values" <component values> */}}
{{- define "ci-connector.env.common" -}}
{{- $root := .root -}}
- name: LOG_LEVEL
  value: {{ .values.logLevel | quote }}
- name: REGION
  value: {{ $root.Values.region | quote }}
- name: METRICS_PORT
  value: {{ ternary $root.Values.metrics.port 0 $root.Values.metrics.enabled | quote }}
- name: METRICS_HOST
  value: {{ default "0.0.0.0" .metricsHost | quote }}
{{- with $root.Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  value: {{ printf "%s/v1/traces" (trimSuffix "/" .) | quote }}
{{- end }}
- name: OTEL_TRACES_SAMPLE_RATIO
  value: {{ $root.Values.otel.sampleRatio | quote }}
{{- end -}}

{{/*
KAFKA_BROKERS, the topic-creation settings, and TLS and SASL to the brokers
(libs/platform/kafka kafka-security.ts, the same variables in every service): the
CA and the client certificate as files from Secret volumes (ci-connector.volumes.brokers),
the SASL password by secretKeyRef.
*/}}
{{- define "ci-connector.env.kafka" -}}
{{- $k := .Values.kafka -}}
- name: KAFKA_BROKERS
  value: {{ join "," $k.brokers | quote }}
- name: KAFKA_TOPIC_PARTITIONS
  value: {{ $k.topicPartitions | quote }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $k.replicationFactor | quote }}
- name: KAFKA_TLS
  value: {{ $k.tls.enabled | quote }}
{{- if $k.tls.enabled }}
{{- if $k.tls.caSecretName }}
- name: KAFKA_TLS_CA_FILE
  value: /etc/ci-connector/kafka-ca/ca.crt
{{- end }}
{{- if $k.tls.clientCertSecretName }}
- name: KAFKA_TLS_CERT_FILE
  value: /etc/ci-connector/kafka-client/tls.crt
- name: KAFKA_TLS_KEY_FILE
  value: /etc/ci-connector/kafka-client/tls.key
{{- end }}
{{- with $k.tls.serverName }}
- name: KAFKA_TLS_SERVERNAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if $k.sasl.enabled }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $k.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ $k.sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.passwordSecretName }}
      key: {{ $k.sasl.passwordKey }}
{{- end }}
{{- end -}}

{{/* The brokers' CA and the client certificate, read-only (with kafka.tls.enabled). */}}
{{- define "ci-connector.volumeMounts.brokers" -}}
{{- if .Values.redis.caSecretName }}
- name: redis-ca
  mountPath: /etc/ci-connector/redis-ca
  readOnly: true
{{- end }}
{{- $tls := .Values.kafka.tls -}}
{{- if $tls.enabled }}
{{- if $tls.caSecretName }}
- name: kafka-ca
  mountPath: /etc/ci-connector/kafka-ca
  readOnly: true
{{- end }}
{{- if $tls.clientCertSecretName }}
- name: kafka-client
  mountPath: /etc/ci-connector/kafka-client
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "ci-connector.volumes.brokers" -}}
{{- if .Values.redis.caSecretName }}
- name: redis-ca
  secret:
    secretName: {{ .Values.redis.caSecretName }}
    defaultMode: 288
    items:
      - key: {{ .Values.redis.caKey }}
        path: ca.crt
{{- end }}
{{- $tls := .Values.kafka.tls -}}
{{- if $tls.enabled }}
{{- if $tls.caSecretName }}
- name: kafka-ca
  secret:
    secretName: {{ $tls.caSecretName }}
    defaultMode: 288
    items:
      - key: {{ $tls.caKey }}
        path: ca.crt
{{- end }}
{{- if $tls.clientCertSecretName }}
- name: kafka-client
  secret:
    secretName: {{ $tls.clientCertSecretName }}
    defaultMode: 288
    items:
      - key: {{ $tls.clientCertKey }}
        path: tls.crt
      - key: {{ $tls.clientKeyKey }}
        path: tls.key
{{- end }}
{{- end }}
{{- end -}}

{{- define "ci-connector.env.kafkaEnsureTopics" -}}
- name: KAFKA_ENSURE_TOPICS
  value: {{ .Values.kafka.ensureTopics | quote }}
{{- end -}}

{{/* The CI providers API, Entra ID and the app credential (registration-service, policy-sync-worker). */}}
{{- define "ci-connector.env.ciApi" -}}
{{- $c := .Values.ciApi -}}
- name: CI_API_BASE_URL
  value: {{ $c.baseUrl | quote }}
- name: ENTRA_AUTHORITY_HOST
  value: {{ $c.authorityHost | quote }}
- name: CI_APP_CLIENT_ID
{{- if $c.clientId }}
  value: {{ $c.clientId | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ $c.credential.secretName }}
      key: {{ $c.credential.clientIdKey }}
{{- end }}
{{- if eq $c.credential.type "secret" }}
- name: CI_APP_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $c.credential.secretName }}
      key: {{ $c.credential.clientSecretKey }}
{{- else }}
- name: CI_APP_CERT_FILE
  value: /etc/ci-connector/entra/tls.crt
- name: CI_APP_KEY_FILE
  value: /etc/ci-connector/entra/tls.key
{{- end }}
{{- if $c.ca.secretName }}
- name: CI_API_CA_FILE
  value: {{ printf "/etc/ci-connector/ci-api-ca/%s" $c.ca.key | quote }}
{{- end }}
{{- end -}}

{{- define "ci-connector.volumeMounts.ciApi" -}}
{{- $c := .Values.ciApi -}}
{{- if eq $c.credential.type "certificate" }}
- name: entra-certificate
  mountPath: /etc/ci-connector/entra
  readOnly: true
{{- end }}
{{- if $c.ca.secretName }}
- name: ci-api-ca
  mountPath: /etc/ci-connector/ci-api-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "ci-connector.volumes.ciApi" -}}
{{- $c := .Values.ciApi -}}
{{- if eq $c.credential.type "certificate" }}
- name: entra-certificate
  secret:
    secretName: {{ $c.credential.certificateSecretName }}
    defaultMode: 288
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
{{- if $c.ca.secretName }}
- name: ci-api-ca
  secret:
    secretName: {{ $c.ca.secretName }}
    defaultMode: 288
    items:
      - key: {{ $c.ca.key }}
        path: {{ $c.ca.key }}
{{- end }}
{{- end -}}

{{- define "ci-connector.env.widgetTokenSecret" -}}
- name: WIDGET_TOKEN_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.apiKeys.secretName }}
      key: {{ .Values.apiKeys.widgetTokenSecretKey }}
{{- end -}}

{{/* The component's `config` map (other variables of its .env.example, by name) and its extraEnv. */}}
{{- define "ci-connector.env.extra" -}}
{{- range $name, $value := .config }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- with .extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* httpGet probes on the port named http. Usage: dict "probe" .livenessProbe "path" "/health/live" */}}
{{- define "ci-connector.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end -}}

{{/* A preferred spread over nodes when the component's affinity is empty. */}}
{{- define "ci-connector.affinity" -}}
{{- if .values.affinity -}}
{{- toYaml .values.affinity -}}
{{- else -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "ci-connector.selectorLabels" . | nindent 12 }}
{{- end }}
{{- end -}}

{{/* The writable /tmp every container gets (the root filesystem is read-only). */}}
{{- define "ci-connector.volumes.tmp" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "ci-connector.volumeMounts.tmp" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Pod-level settings shared by every workload. Usage: dict "root" $ "component" "x" "values" .Values.x */}}
{{- define "ci-connector.podCommon" -}}
serviceAccountName: {{ include "ci-connector.serviceAccountName" .root }}
automountServiceAccountToken: {{ .root.Values.serviceAccount.automountServiceAccountToken }}
{{- include "ci-connector.imagePullSecrets" .root }}
securityContext:
  {{- toYaml .values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* metadata of a pod template. */}}
{{- define "ci-connector.podMetadata" -}}
labels:
  {{- include "ci-connector.labels" . | nindent 2 }}
  {{- with .values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $annotations := merge (deepCopy (default (dict) .values.podAnnotations)) (deepCopy (default (dict) .checksums)) }}
{{- if $annotations }}
annotations:
  {{- toYaml $annotations | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Selector labels of the release's pods (for NetworkPolicies). */}}
{{- define "ci-connector.releasePodSelector" -}}
matchLabels:
  app.kubernetes.io/name: {{ include "ci-connector.name" . }}
  app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
