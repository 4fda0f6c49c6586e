{{/* sip-signaling's derived settings, shared by its objects and rtpengine's. */}}

{{- define "ci-connector.sipSignaling.hostNetwork" -}}
{{- if eq .Values.sipSignaling.network.mode "hostNetwork" }}true{{ end -}}
{{- end -}}

{{/* Where rtpengine's ng control socket listens: loopback when sip-signaling shares the node's network, else the node's IP. */}}
{{- define "ci-connector.rtpengine.ngOnLoopback" -}}
{{- if or (not .Values.sipSignaling.enabled) (include "ci-connector.sipSignaling.hostNetwork" .) }}true{{ end -}}
{{- end -}}

{{/* RECORDER_PING_REGIONS: the given list, else the release's region then global. */}}
{{- define "ci-connector.sipSignaling.pingRegions" -}}
{{- $regions := .Values.sipSignaling.recorders.pingRegions -}}
{{- if not $regions -}}{{- $regions = uniq (list .Values.region "global") -}}{{- end -}}
{{- join "," $regions -}}
{{- end -}}

{{/* RECORDER_HOST_OVERRIDES from sipSignaling.recorders.hosts, the release's region first, global last. */}}
{{- define "ci-connector.sipSignaling.hostOverrides" -}}
{{- $hosts := .Values.sipSignaling.recorders.hosts -}}
{{- $items := list -}}
{{- if hasKey $hosts .Values.region -}}{{- $items = append $items (printf "%s=%s" .Values.region (get $hosts .Values.region)) -}}{{- end -}}
{{- range $region, $host := $hosts -}}
{{- if and (ne $region $.Values.region) (ne $region "global") -}}{{- $items = append $items (printf "%s=%s" $region $host) -}}{{- end -}}
{{- end -}}
{{- if and (hasKey $hosts "global") (ne .Values.region "global") -}}{{- $items = append $items (printf "global=%s" (get $hosts "global")) -}}{{- end -}}
{{- join "," $items -}}
{{- end -}}

{{- define "ci-connector.sipSignaling.tenantsJson" -}}
{{- if and .Values.sipSignaling.tenants (not .Values.sipSignaling.tenantsConfigMap) -}}
{{- toPrettyJson .Values.sipSignaling.tenants -}}
{{- end -}}
{{- end -}}

{{/*
The preStop hook. Kubernetes sends SIGTERM only once the hook has returned, and
sip-signaling starts draining on SIGTERM (new INVITEs get 503 + Retry-After, calls
in progress go on up to DRAIN_GRACE): so the hook sends it first (to PID 1, tini,
which passes it on), then polls GET /drain until activeCalls is 0. It ends early
only when the HTTP server is gone (the app has finished); the grace period bounds it.
*/}}
{{- define "ci-connector.sipSignaling.preStop" -}}
const host = !process.env.HTTP_HOST || process.env.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : process.env.HTTP_HOST;
const url = `http://${host}:${process.env.HTTP_PORT}/drain`;
const pollMs = {{ mul .Values.sipSignaling.drain.pollSeconds 1000 }};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
try { process.kill(1, 'SIGTERM'); } catch (err) { console.error(`preStop: SIGTERM to PID 1 failed: ${err}`); }
(async () => {
  let failures = 0;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      const drain = await res.json();
      failures = 0;
      if (drain.activeCalls === 0) return;
      console.log(`preStop: draining, ${drain.activeCalls} call(s) in progress`);
    } catch (err) {
      if (++failures >= 3) { console.log(`preStop: GET /drain no longer answers (${err}): done`); return; }
    }
    await sleep(pollMs);
  }
})().then(() => process.exit(0));
{{- end -}}
