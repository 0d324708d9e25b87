using AdminPortal.App.Auth;
using AdminPortal.App.CommandLine;
using AdminPortal.App.Components;
using AdminPortal.App.Data;
using AdminPortal.App.Features;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Observability;
using AdminPortal.App.Security;
using MudBlazor.Services;

StartupFailure.PrintWithoutStackTrace(); // a bad setting or a missing database: one line and an exit code, no stack trace

// `dotnet run -- --help`: verbs (migrate, seed, schema …) run and exit; without one the portal serves.
var commandLine = PortalCommandLine.Parse(args);
if (commandLine.ExitCode is int answered)
{
    return answered;
}

var builder = WebApplication.CreateBuilder(commandLine.HostArguments);
builder.AddObservability();
builder.AddData();
builder.AddIdentity();
builder.AddFeatures();
builder.AddSecurity();
builder.Services.AddMudServices();
builder.Services.AddRazorComponents().AddInteractiveServerComponents().WithInputLimits().WithCircuitLifetime(builder.Configuration).WithSharedJSInteropMetadata();

var app = builder.Build();
if (await commandLine.RunVerbAsync(app.Services) is int exitCode)
{
    return exitCode;
}

await using (var scope = app.Services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<DatabaseCommands>().PrepareAtStartupAsync();
}

app.UseProxyForwardedHeaders(); // first: everything after it sees the public scheme, host and client address
app.UseObservability(); // the Prometheus scrape endpoint, when enabled (loopback callers only)
app.UseSecurityHeaders();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
    app.UseHsts();
}

if (app.Services.GetRequiredService<SignInProviders>().Find(DevIdentityProvider.OidcScheme) is not null)
{
    app.MapDevIdentityProvider();
}

app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapHealthEndpoints().RequireRateLimiting(RateLimits.Health);
app.MapBenchmarkEndpoints(); // only with Diagnostics:BenchmarkEndpoints=true, in Development (./bench.sh circuits)
app.MapSignInEndpoints();
app.MapUserExport();
app.MapAuditExport();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(app.Services.GetRequiredService<CircuitLifetime>().ApplyTo);
app.Lifetime.ApplicationStarted.Register(StartupFailure.MarkStarted); // a known failure from here on "stopped" the portal
await app.RunAsync();
return 0;

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
