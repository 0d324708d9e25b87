using Microsoft.AspNetCore.Components.Server;

namespace AdminPortal.App.Components;

/// <summary>
/// How long the server keeps a circuit whose browser went away, and how many such circuits it keeps, from the
/// <c>Circuits</c> section. Checked when the portal starts: a typo here should stop the deployment, not silently keep
/// every disconnected circuit for a day.
/// </summary>
public sealed record CircuitLifetime(TimeSpan DisconnectedRetention, int MaxDisconnectedRetained, TimeSpan JSInteropTimeout, bool WebSocketCompression = true)
{
    public const string Section = "Circuits";

    /// <summary>
    /// Three minutes, as the framework's own default: long enough for a Wi-Fi switch, a VPN reconnect or a short
    /// server hiccup, after which Blazor's reconnect dialog has given up anyway. Longer buys little here: every grid
    /// keeps its whole view in the URL, so a reload after a lost circuit puts the admin back on the same page.
    /// </summary>
    public static readonly TimeSpan DefaultDisconnectedRetention = TimeSpan.FromMinutes(3);

    /// <summary>
    /// 500 (the framework says 100): when a load balancer or proxy restart drops every connection at once, the first
    /// 500 circuits to come back keep their state (an editor's unsaved text, a running bulk preview), the rest
    /// reload. At the target of 400 KB a circuit (a users grid measured 325–396 KB in the latest runs,
    /// docs/performance.md) that bounds disconnected circuits to about 200 MB of heap.
    /// </summary>
    public const int DefaultMaxDisconnectedRetained = 500;

    /// <summary>
    /// One minute, as the framework's default: a browser call that takes longer is a hung tab. The CSV export is a
    /// browser call that streams a large file, and it took well under a minute at 100,000 users.
    /// </summary>
    public static readonly TimeSpan DefaultJSInteropTimeout = TimeSpan.FromMinutes(1);

    public static CircuitLifetime From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var lifetime = new CircuitLifetime(
            Read(section, nameof(DisconnectedRetention), DefaultDisconnectedRetention),
            Read(section, nameof(MaxDisconnectedRetained), DefaultMaxDisconnectedRetained),
            Read(section, nameof(JSInteropTimeout), DefaultJSInteropTimeout),
            Read(section, nameof(WebSocketCompression), true));
        if (lifetime.DisconnectedRetention < TimeSpan.Zero || lifetime.DisconnectedRetention > TimeSpan.FromHours(1))
        {
            throw Invalid(nameof(DisconnectedRetention), lifetime.DisconnectedRetention, "between 00:00:00 and 01:00:00 (every disconnected circuit holds its memory that long)");
        }

        if (lifetime.MaxDisconnectedRetained is < 0 or > 100_000)
        {
            throw Invalid(nameof(MaxDisconnectedRetained), lifetime.MaxDisconnectedRetained, "between 0 and 100000");
        }

        if (lifetime.JSInteropTimeout < TimeSpan.FromSeconds(1) || lifetime.JSInteropTimeout > TimeSpan.FromMinutes(10))
        {
            throw Invalid(nameof(JSInteropTimeout), lifetime.JSInteropTimeout, "between 00:00:01 and 00:10:00");
        }

        return lifetime;
    }

    /// <summary>
    /// Whether circuits' WebSocket messages are deflated (the framework's default, and this one): a full users page is
    /// about 40 KB of render batch before compression. Off (<c>Circuits:WebSocketCompression=false</c>) saves the server
    /// the deflate of every batch, for a portal whose admins sit on a fast network; see docs/performance.md.
    /// </summary>
    public void ApplyTo(ServerComponentsEndpointOptions options) => options.DisableWebSocketCompression = !WebSocketCompression;

    private static T Read<T>(IConfigurationSection section, string key, T fallback)
    {
        try
        {
            return section.GetValue(key, fallback)!;
        }
        catch (InvalidOperationException exception)
        {
            string kind = typeof(T) == typeof(int) ? "whole number" : typeof(T) == typeof(bool) ? "true or false" : "time span like 00:03:00";
            throw new CommandLine.StartupRefusedException($"{Section}:{key}: \"{section[key]}\" is not a valid {kind}.", exception);
        }
    }

    private static CommandLine.StartupRefusedException Invalid(string key, object value, string range) =>
        new($"{Section}:{key} is {value}; it must be {range}.");

    public void ApplyTo(CircuitOptions options)
    {
        options.DisconnectedCircuitRetentionPeriod = DisconnectedRetention;
        options.DisconnectedCircuitMaxRetained = MaxDisconnectedRetained;
        options.JSInteropDefaultCallTimeout = JSInteropTimeout;
    }
}

public static class CircuitLifetimeSetup
{
    /// <summary>Reads and checks the <c>Circuits</c> section now, at start-up, and applies it to every circuit.</summary>
    public static IServerSideBlazorBuilder WithCircuitLifetime(this IServerSideBlazorBuilder builder, IConfiguration configuration)
    {
        var lifetime = CircuitLifetime.From(configuration);
        builder.Services.AddSingleton(lifetime);
        builder.Services.Configure<CircuitOptions>(lifetime.ApplyTo);
        return builder;
    }
}
