using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AdminPortal.App.Security;

/// <summary>
/// Behind a TLS-terminating reverse proxy: X-Forwarded-For, -Proto and -Host, from the proxies named in configuration
/// only (<c>ForwardedHeaders:KnownProxies</c>, IP addresses; <c>ForwardedHeaders:KnownNetworks</c>, CIDR ranges).
/// Then redirect URIs carry the public https origin, cookies are Secure, and the rate limits see the client's address.
/// Off unless configured: a forwarded header from anyone else would let any client choose its own address (and
/// escape its rate limit) or the origin of the portal's redirect URIs.
/// </summary>
public static class ProxyForwardedHeaders
{
    public const string Section = "ForwardedHeaders";

    public static WebApplicationBuilder AddProxyForwardedHeaders(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(Section);
        var proxies = Values(section.GetSection("KnownProxies")).Select(text => IPAddress.TryParse(text, out var address)
            ? address
            : throw new CommandLine.StartupRefusedException($"{Section}:KnownProxies: \"{text}\" is not an IP address.")).ToList();
        var networks = Values(section.GetSection("KnownNetworks")).Select(text => System.Net.IPNetwork.TryParse(text, out var network)
            ? network
            : throw new CommandLine.StartupRefusedException($"{Section}:KnownNetworks: \"{text}\" is not a CIDR range like 10.0.0.0/8.")).ToList();

        builder.Services.TryAddSingleton<ForwardedOrigins>();
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The defaults trust loopback; only what is configured is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            proxies.ForEach(options.KnownProxies.Add);
            networks.ForEach(options.KnownIPNetworks.Add);
        });
        builder.Services.AddSingleton(new ProxySettings(proxies.Count + networks.Count > 0));
        return builder;
    }

    /// <summary>First in the pipeline, so that everything after it (HSTS, cookies, sign-in, rate limits) sees the public request.</summary>
    public static WebApplication UseProxyForwardedHeaders(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<ProxySettings>().Enabled)
        {
            return app;
        }

        app.UseForwardedHeaders();
        var origins = app.Services.GetRequiredService<ForwardedOrigins>();
        app.Use((context, next) =>
        {
            // The middleware keeps the original values when it applied a trusted proxy's headers.
            if (context.Request.Headers.ContainsKey("X-Original-Proto") || context.Request.Headers.ContainsKey("X-Original-Host"))
            {
                origins.Add($"{context.Request.Scheme}://{context.Request.Host}");
            }

            return next(context);
        });
        return app;
    }

    /// <summary>An array (<c>KnownProxies:0</c>, …) or one comma-separated value (handy in an environment variable).</summary>
    private static IEnumerable<string> Values(IConfigurationSection section) =>
        (section.Value is { Length: > 0 } value ? value.Split(',') : section.GetChildren().Select(c => c.Value ?? ""))
        .Select(v => v.Trim())
        .Where(v => v.Length > 0);

    private sealed record ProxySettings(bool Enabled);
}

/// <summary>
/// The public origins (e.g. <c>https://portal.example.com</c>) that requests arrived under through a trusted proxy. The
/// development identity provider accepts the portal's callback paths on them, so that sign-in works behind a proxy.
/// Only a configured proxy can add one; at most a handful are kept.
/// </summary>
public sealed class ForwardedOrigins
{
    private const int Limit = 16;
    private readonly ConcurrentDictionary<string, byte> origins = new(StringComparer.OrdinalIgnoreCase);

    public void Add(string origin)
    {
        if (origins.Count < Limit)
        {
            origins.TryAdd(origin, 0);
        }
    }

    public bool Contains(string origin) => origins.ContainsKey(origin);

    /// <summary>In a stable order, so that equal sets are recognised as equal.</summary>
    public IReadOnlyCollection<string> All => [.. origins.Keys.Order(StringComparer.OrdinalIgnoreCase)];
}
