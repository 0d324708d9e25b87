namespace AdminPortal.App.Observability;

/// <summary>The <c>Observability</c> section, plus <c>Logging:Format</c>.</summary>
public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>Names this process in logs and telemetry (service.instance.id). Default: host name and process id.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>OTLP endpoint (e.g. http://collector:4317). The standard OTEL_EXPORTER_OTLP_ENDPOINT works too.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>, for <see cref="OtlpEndpoint"/>.</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Serve Prometheus metrics at <see cref="PrometheusPath"/>, to loopback callers only.</summary>
    public bool PrometheusEnabled { get; set; }

    public string PrometheusPath { get; set; } = "/metrics";
}
