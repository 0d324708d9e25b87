using System.Net;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AdminPortal.App.Observability;

/// <summary>
/// Logs, traces and metrics. Traces and metrics (ASP.NET Core, HttpClient, Npgsql, EF Core and the portal's own meter)
/// are always collected in-process; they leave it only through OTLP when an endpoint is configured, or through the
/// Prometheus scrape endpoint when it is enabled.
/// </summary>
public static class ObservabilitySetup
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(ObservabilityOptions.Section);
        builder.Services.Configure<ObservabilityOptions>(section);
        var options = section.Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        AddConsoleLogging(builder, options);

        builder.Services.AddSingleton<PortalMetrics>();
        builder.Services.AddScoped<CircuitHandler, MetricsCircuitHandler>();

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("AdminPortal", serviceInstanceId: options.InstanceId))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = context => !context.Request.Path.StartsWithSegments(options.PrometheusPath))
                .AddHttpClientInstrumentation()
                .AddNpgsql()) // EF Core's commands on PostgreSQL are Npgsql commands: one span each
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddMeter("Microsoft.EntityFrameworkCore", PortalMetrics.MeterName);
                if (options.PrometheusEnabled)
                {
                    metrics.AddPrometheusExporter();
                }
            });

        // The standard OTEL_EXPORTER_OTLP_* variables, or Observability:OtlpEndpoint; without either nothing is exported.
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            var protocol = options.OtlpProtocol.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase) ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            telemetry.UseOtlpExporter(protocol, new Uri(options.OtlpEndpoint));
        }
        else if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// The Prometheus scrape endpoint, when enabled, for loopback callers only: a scraper or collector on the same
    /// host. Metrics describe sign-ins, refusals and load, and nothing outside the host should read them; a remote
    /// Prometheus scrapes through an agent on the host, or the portal pushes with OTLP instead. Placed after the
    /// forwarded headers, so that a request relayed by a proxy counts as its real client, never as loopback. Anyone
    /// else (and everyone while it is off) gets a plain 404, never the page router's "not found" page.
    /// </summary>
    public static WebApplication UseObservability(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ObservabilityOptions>>().Value;
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals(options.PrometheusPath, StringComparison.OrdinalIgnoreCase) && !(options.PrometheusEnabled && IsLoopback(context)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });
        if (options.PrometheusEnabled)
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path.Equals(options.PrometheusPath, StringComparison.OrdinalIgnoreCase));
        }

        return app;
    }

    private static bool IsLoopback(HttpContext context) => context.Connection.RemoteIpAddress is { } caller && IPAddress.IsLoopback(caller);

    /// <summary>Readable lines with a UTC timestamp by default; one JSON object per line with Logging:Format=json.</summary>
    private static void AddConsoleLogging(WebApplicationBuilder builder, ObservabilityOptions options)
    {
        if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddConsoleFormatter<PortalJsonConsoleFormatter, ConsoleFormatterOptions>();
            builder.Services.Configure<ConsoleLoggerOptions>(console => console.FormatterName = PortalJsonConsoleFormatter.Name);
        }
        else
        {
            // AddSimpleConsole names the formatter: without a name the console logger copies its own (empty) legacy
            // timestamp setting over these options.
            builder.Logging.AddSimpleConsole(console =>
            {
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
        }
    }
}
