using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;

namespace AdminPortal.App.Auth;

/// <summary>
/// After a provider rotates its signing keys, the first ID token signed with the new key names a key id the portal's
/// cached key set lacks. The OpenID Connect handler then only asks its configuration manager for a refresh
/// (<c>RefreshOnIssuerKeyNotFound</c>) and fails that sign-in; the next one would work. Here the sign-in is kept:
/// the provider's metadata and keys are refreshed once, and when they now list the key, the sign-in starts again
/// (the provider's session is still open, so the person sees nothing but a redirect). A key the refreshed set still
/// lacks fails with a clear message and a <c>sign_in_refused</c> audit entry.
/// </summary>
/// <remarks>
/// The refresh goes through the scheme's own configuration manager, so it honours its throttle
/// (<c>RefreshInterval</c>, five minutes by default): tokens naming made-up keys cannot make the portal hammer the provider.
/// </remarks>
internal static class SigningKeyRotation
{
    /// <summary>Marks the authentication properties of the one retry, so that a second failure is final.</summary>
    public const string RetryItem = "adminportal.signing_key_retry";

    public const string RetryQueryParameter = "keyRetry";

    public const string FailureReason = "SigningKeyUnknown";

    private const string KeyIdItem = "adminportal.id_token_kid";

    private static readonly TimeSpan RefreshWait = TimeSpan.FromSeconds(5);

    /// <summary>Keeps the key id from the ID token's header (never the token) for <see cref="TryRecoverAsync"/>.</summary>
    public static void RememberKeyId(TokenResponseReceivedContext context)
    {
        if (context.TokenEndpointResponse?.IdToken is { Length: > 0 } idToken)
        {
            try
            {
                context.HttpContext.Items[KeyIdItem] = new JsonWebToken(idToken).Kid;
            }
            catch (ArgumentException)
            {
                // Not a JWT: validation reports it.
            }
        }
    }

    /// <summary>
    /// For a sign-in that failed on an unknown signing key: refreshes the provider's keys and restarts the sign-in
    /// once, or records the refusal. Returns false for any other failure, which the caller handles.
    /// </summary>
    public static async Task<bool> TryRecoverAsync(RemoteFailureContext context)
    {
        if (context.Failure is not Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException || context.Options is not OpenIdConnectOptions options)
        {
            return false;
        }

        var http = context.HttpContext;
        var logger = http.RequestServices.GetRequiredService<ILogger<SignInService>>();
        string scheme = context.Scheme.Name;
        string? keyId = http.Items[KeyIdItem] as string;
        bool retried = context.Properties?.Items.ContainsKey(RetryItem) == true;
        if (!retried && keyId is not null && options.ConfigurationManager is { } configurationManager && await RefreshUntilKnownAsync(configurationManager, keyId, http.RequestAborted))
        {
            logger.LogInformation("Sign-in through {Scheme}: signing key {KeyId} was new; refreshed the provider's keys and starting the sign-in again once.", scheme, keyId);
            context.HandleResponse();
            string returnUrl = AuthSetup.SafeReturnUrl(context.Properties?.RedirectUri);
            context.Response.Redirect($"/signin/challenge/{Uri.EscapeDataString(scheme)}?returnUrl={Uri.EscapeDataString(returnUrl)}&{RetryQueryParameter}=1");
            return true;
        }

        logger.LogWarning("Sign-in through {Scheme} refused: its token is signed with key {KeyId}, which the provider's key set does not list{After}.",
            scheme, keyId ?? "(none)", retried ? " even after a refresh and a second sign-in" : " even after a refresh");
        await AuditAsync(http, scheme, keyId);
        context.HandleResponse();
        context.Response.Redirect("/signin?reason=" + FailureReason);
        return true;
    }

    /// <summary>Asks for a refresh and waits (briefly) until the configuration lists the key: the manager may refresh in the background.</summary>
    private static async Task<bool> RefreshUntilKnownAsync(Microsoft.IdentityModel.Protocols.IConfigurationManager<Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration> manager, string keyId, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(RefreshWait);
        try
        {
            while (true)
            {
                manager.RequestRefresh();
                var configuration = await manager.GetConfigurationAsync(bounded.Token);
                if (configuration.SigningKeys.Any(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal)))
                {
                    return true;
                }

                await Task.Delay(100, bounded.Token);
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is OperationCanceledException or InvalidOperationException or IOException or HttpRequestException)
        {
            // Timed out, or the provider's metadata cannot be read now: the sign-in fails with the key message.
            return false;
        }
    }

    private static async Task AuditAsync(HttpContext http, string scheme, string? keyId)
    {
        try
        {
            var services = http.RequestServices;
            long? customerId = null;
            await using var scope = services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System($"sign-in:{scheme}"));
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(http.RequestAborted);
            if (services.GetRequiredService<SignInProviders>().Find(scheme)?.CiamSystemId is long systemId)
            {
                customerId = await db.CiamSystems.Where(c => c.Id == systemId).Select(c => c.CustomerId).FirstOrDefaultAsync(http.RequestAborted);
            }

            db.AuditLog.Add(new Features.Audit.AuditEntry
            {
                At = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
                Actor = db.Tenant.Actor,
                CustomerId = customerId,
                EntityType = "SignIn",
                EntityId = 0,
                Action = Features.Audit.AuditActions.SignInRefused,
                Changes = System.Text.Json.JsonSerializer.Serialize(new { reason = FailureReason, scheme, key_id = keyId }),
            });
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (Exception exception) when (!http.RequestAborted.IsCancellationRequested && DatabaseFailure.CouldNotAnswer(exception))
        {
            // The person still gets the message; the log line above records the refusal.
            http.RequestServices.GetRequiredService<ILogger<SignInService>>().LogWarning("The sign_in_refused audit entry for {Scheme} could not be written: {Problem}", scheme, exception.GetBaseException().Message);
        }
    }
}
