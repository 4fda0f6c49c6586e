{{/*
Objects every Deployment-based component has in the same shape: PodDisruptionBudget,
HorizontalPodAutoscaler, the ClusterIP Service of its HTTP (and gRPC, metrics) ports,
and its NetworkPolicy. Usage: include "ci-connector.pdb" (dict "root" $ "component" "x" "values" .Values.x)
*/}}

{{- define "ci-connector.pdb" -}}
{{- if .values.pdb.create }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "ci-connector.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ci-connector.labels" . | nindent 4 }}
  {{- with include "ci-connector.annotations" (dict "root" .root) }}{{- . | trim | nindent 2 }}{{- end }}
spec:
  maxUnavailable: {{ .values.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "ci-connector.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "ci-connector.hpa" -}}
{{- if .values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "ci-connector.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ci-connector.labels" . | nindent 4 }}
  {{- with include "ci-connector.annotations" (dict "root" .root) }}{{- . | trim | nindent 2 }}{{- end }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "ci-connector.componentName" . }}
  minReplicas: {{ .values.autoscaling.minReplicas }}
  maxReplicas: {{ .values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .values.autoscaling.targetCPU }}
{{- end }}
{{- end -}}

{{/* The component's ClusterIP Service: http, optional grpc/extra ports (.ports: list of {name, port, protocol}), metrics. */}}
{{- define "ci-connector.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "ci-connector.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ci-connector.labels" . | nindent 4 }}
    {{- if .root.Values.metrics.enabled }}
    ci-connector.io/metrics: "true"
    {{- end }}
  {{- with include "ci-connector.annotations" (dict "root" .root "extra" .values.service.annotations) }}{{- . | trim | nindent 2 }}{{- end }}
spec:
  type: {{ .values.service.type }}
  selector:
    {{- include "ci-connector.selectorLabels" . | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: {{ default "TCP" .protocol }}
    {{- end }}
    {{- if .root.Values.metrics.enabled }}
    - name: metrics
      port: {{ .root.Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
    {{- end }}
{{- end -}}

{{/*
NetworkPolicy of a component in the pod network. .apiPorts: ports callers use (from
this release's pods, networkPolicy.ingressNamespaceSelector, or anyone with
allowExternal); .public: whether ingressNamespaceSelector applies (APIs behind an
ingress); .openPorts: ports open to anyone (SIP). Egress: everything, or DNS, Redis,
Kafka, 443, the OTLP port and .extraEgress.
*/}}
{{- define "ci-connector.networkPolicy" -}}
{{- $np := .root.Values.networkPolicy -}}
{{- if $np.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "ci-connector.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ci-connector.labels" . | nindent 4 }}
  {{- with include "ci-connector.annotations" (dict "root" .root) }}{{- . | trim | nindent 2 }}{{- end }}
spec:
  podSelector:
    matchLabels:
      {{- include "ci-connector.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    {{- with .openPorts }}
    - ports:
        {{- range . }}
        - port: {{ .port }}
          protocol: {{ default "TCP" .protocol }}
        {{- end }}
    {{- end }}
    {{- if .apiPorts }}
    - ports:
        {{- range .apiPorts }}
        - port: {{ .port }}
          protocol: {{ default "TCP" .protocol }}
        {{- end }}
      {{- if not $np.allowExternal }}
      from:
        - podSelector:
            {{- include "ci-connector.releasePodSelector" .root | nindent 12 }}
        {{- if and .public $np.ingressNamespaceSelector }}
        - namespaceSelector:
            matchLabels:
              {{- toYaml $np.ingressNamespaceSelector | nindent 14 }}
        {{- end }}
      {{- end }}
    {{- end }}
    {{- if .root.Values.metrics.enabled }}
    - ports:
        - port: {{ .root.Values.metrics.port }}
          protocol: TCP
      {{- with $np.metricsNamespaceSelector }}
      from:
        - namespaceSelector:
            matchLabels:
              {{- toYaml . | nindent 14 }}
      {{- end }}
    {{- end }}
  egress:
    {{- if $np.allowExternalEgress }}
    - {}
    {{- else }}
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    - ports:
        - port: {{ .root.Values.redis.port }}
          protocol: TCP
        {{- range .root.Values.kafka.brokers }}
        - port: {{ last (splitList ":" .) | int }}
          protocol: TCP
        {{- end }}
        - port: 443
          protocol: TCP
        {{- with .root.Values.otel.endpoint }}
        {{- $u := urlParse . }}
        {{- $hostPort := splitList ":" $u.host }}
        - port: {{ ternary (last $hostPort | int) (ternary 443 80 (eq $u.scheme "https")) (gt (len $hostPort) 1) }}
          protocol: TCP
        {{- end }}
    {{- with .extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- end }}
    {{- with $np.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end -}}
