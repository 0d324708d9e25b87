using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using AdminPortal.App.Auth;
using Microsoft.AspNetCore.RateLimiting;

namespace AdminPortal.App.Security;

/// <summary>
/// Rate limits (ASP.NET Core's rate limiter), one named policy per kind of endpoint. Each counts per signed-in user,
/// or per remote address when nobody is signed in, in a fixed window: <c>RateLimits:&lt;Policy&gt;:PermitLimit</c>
/// requests per <c>RateLimits:&lt;Policy&gt;:Window</c>. A refused request gets 429 with Retry-After, and a page
/// that says when to try again.
/// </summary>
/// <remarks>
/// Behind a reverse proxy every request comes from the proxy's address: configure the forwarded-headers middleware
/// (with the proxy as a known proxy) before relying on the per-address limits, or everyone shares one budget.
/// </remarks>
public static class RateLimits
{
    /// <summary><c>/signin/challenge/{scheme}</c>: each one starts a flow at an identity provider.</summary>
    public const string SignIn = "SignIn";
    /// <summary>The sign-in page's email lookup (its POST only): each asks the database which organisation a domain is.</summary>
    public const string EmailSignIn = "EmailSignIn";
    /// <summary>The CSV exports (users, audit): each streams a whole filter out of the database.</summary>
    public const string Exports = "Exports";
    /// <summary><c>/health</c> and its liveness and readiness checks: anonymous, and each may query the database.</summary>
    public const string Health = "Health";

    /// <summary>The defaults: (requests, window).</summary>
    public static readonly IReadOnlyDictionary<string, (int PermitLimit, TimeSpan Window)> Defaults = new Dictionary<string, (int, TimeSpan)>
    {
        [SignIn] = (20, TimeSpan.FromMinutes(1)),
        [Exports] = (10, TimeSpan.FromMinutes(1)),
        [Health] = (120, TimeSpan.FromMinutes(1)),
        [EmailSignIn] = (10, TimeSpan.FromMinutes(1)),
    };

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, cancellationToken) => WriteRejectionAsync(context.HttpContext, context.Lease, cancellationToken);
            foreach (var (name, (permitLimit, window)) in Defaults)
            {
                var section = configuration.GetSection("RateLimits:" + name);
                int limit = section.GetValue("PermitLimit", permitLimit);
                var length = section.GetValue("Window", window);
                // The email lookup shares the sign-in page's route: only its form posts count, never the page views.
                options.AddPolicy(name, context => name == EmailSignIn && !HttpMethods.IsPost(context.Request.Method) ? RateLimitPartition.GetNoLimiter("") : RateLimitPartition.GetFixedWindowLimiter(
                    $"{name}|{PartitionKey(context)}",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = length, QueueLimit = 0, AutoReplenishment = true }));
            }
        });
        return builder;
    }

    /// <summary>The signed-in user, else the remote address.</summary>
    public static string PartitionKey(HttpContext context) =>
        UserAccessService.UserIdOf(context.User) is long userId
            ? "user:" + userId.ToString(CultureInfo.InvariantCulture)
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static async ValueTask WriteRejectionAsync(HttpContext context, RateLimitLease lease, CancellationToken cancellationToken)
    {
        int seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        string message = $"Too many requests — try again in {seconds} seconds.";
        if (context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync($$"""
                <!DOCTYPE html>
                <html lang="en">
                <head><meta charset="utf-8" /><title>Too many requests</title></head>
                <body>
                <h1>Too many requests</h1>
                <p data-testid="rate-limit-message">{{WebUtility.HtmlEncode(message)}}</p>
                <p><a href="/">Back to the portal</a></p>
                </body>
                </html>
                """, cancellationToken);
        }
        else
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message, cancellationToken);
        }
    }
}
