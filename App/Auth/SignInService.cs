using System.Globalization;
using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Auth;

/// <summary>What an identity provider said about the person signing in.</summary>
public sealed record ExternalIdentity(string Scheme, string? Issuer, string Subject, string? Email, string? Name, string? EntraObjectId, string? EntraTenantId, bool EmailVerified = false)
{
    public static ExternalIdentity From(string scheme, ClaimsPrincipal principal)
    {
        string? First(params string[] types) => types.Select(t => principal.FindFirst(t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        var subject = principal.FindFirst("sub") ?? principal.FindFirst(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The identity provider sent no subject.");
        return new ExternalIdentity(
            scheme,
            subject.Issuer,
            subject.Value,
            First("email", ClaimTypes.Email),
            First("name", ClaimTypes.Name),
            First("oid", "http://schemas.microsoft.com/identity/claims/objectidentifier"),
            First("tid", "http://schemas.microsoft.com/identity/claims/tenantid"),
            string.Equals(First("email_verified"), "true", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Why a sign-in was refused; the no-access page explains each.</summary>
public enum SignInDenial
{
    UnknownProvider,
    UnknownUser,
    AmbiguousEmail,
    Inactive,
    Locked,
    CustomerInactive,
    NoPortalRole,
    /// <summary>A platform admin came through a customer's provider, which that customer's admins control.</summary>
    PlatformAdminNeedsPlatformProvider,
    /// <summary>No linked account, and the provider did not vouch for the email, so it cannot find one by email either.</summary>
    EmailNotVerified,
    /// <summary>The verified email matches an invitation whose time ran out: an admin must resend it.</summary>
    InvitationExpired,
    /// <summary>An invitation is accepted only by a verified email at first sign-in, never by another kind of link.</summary>
    InvitationNotAccepted,
}

public sealed record SignInOutcome(ClaimsPrincipal? Principal, SignInDenial? Denial, long? UserId = null);

/// <summary>
/// Runs once per sign-in, when the provider's token has been validated: finds the portal user, links a legacy account
/// on its first OIDC sign-in, counts the sign-in, and builds the principal the cookie will carry.
/// </summary>
public sealed class SignInService(IServiceScopeFactory scopes, SignInProviders providers, UserAccessService access, TimeProvider clock, ILogger<SignInService> logger, Observability.PortalMetrics? metrics = null)
{
    public Task<SignInOutcome> SignInAsync(ExternalIdentity identity, CancellationToken cancellationToken = default) =>
        SignInAsync(identity, SessionOrigin.Unknown, cancellationToken);

    public async Task<SignInOutcome> SignInAsync(ExternalIdentity identity, SessionOrigin origin, CancellationToken cancellationToken = default)
    {
        // Two sign-ins of the same user at once: the version token makes one of them retry with fresh data.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var outcome = await TrySignInAsync(identity, origin, cancellationToken);
                if (outcome.Denial is { } denial)
                {
                    metrics?.SignInRefused(identity.Scheme, denial.ToString());
                }
                else
                {
                    metrics?.SignIn(identity.Scheme);
                }

                return outcome;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
            }
        }
    }

    private async Task<SignInOutcome> TrySignInAsync(ExternalIdentity identity, SessionOrigin origin, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        tenant.Use(TenantScope.System($"sign-in:{identity.Email ?? identity.Subject}"));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);

        var provider = providers.Find(identity.Scheme);
        string? authority = provider?.CiamAuthority;
        var system = provider?.CiamSystemId is long systemId
            ? await db.CiamSystems.AsNoTracking().FirstOrDefaultAsync(c => c.Id == systemId && c.IsEnabled, cancellationToken)
            : authority is null ? null : await FindSystemAsync(db, authority, cancellationToken);
        if (system is null)
        {
            logger.LogWarning("Sign-in through {Scheme} refused: no enabled ciam_systems row has authority {Authority}.", identity.Scheme, authority);
            return await RefuseAsync(db, identity, SignInDenial.UnknownProvider, null, null, cancellationToken);
        }

        var mapping = await db.UserCiamMappings.Include(m => m.User).ThenInclude(u => u!.Customer)
            .FirstOrDefaultAsync(m => m.CiamSystemId == system.Id && m.ExternalSubject == identity.Subject, cancellationToken);
        var user = mapping?.User;
        string? linkedBy = null;

        // Entra's object id + tenant id identify a legacy Azure account. Only Microsoft Entra can vouch for them: the
        // scheme must be one that validates Entra tokens AND this token's issuer must be an Entra host for that very
        // tenant. Any other issuer can put any oid/tid it likes in its tokens (Identity.Web pointed at another authority,
        // the development provider, a customer's "Entra" row on its own host).
        if (user is null && provider!.TrustsEntraIds && identity.EntraObjectId is not null && identity.EntraTenantId is not null
            && EntraIssuers.IsEntraIssuerFor(identity.Issuer, identity.EntraTenantId))
        {
            user = await db.Users.Include(u => u.Customer)
                .FirstOrDefaultAsync(u => u.AzureObjectId == identity.EntraObjectId && u.AzureTenantId == identity.EntraTenantId, cancellationToken);
            linkedBy = "entra_object_id";
        }

        // Linking by email hands the account to whoever controls the address at the provider: only a verified email
        // claim (never preferred_username or upn, which users can often change) may do it.
        if (user is null && identity.EmailVerified && identity.Email is { Length: > 0 } email)
        {
            // A legacy account (password or Azure ids), or a pending invitation, with this email, in the provider's
            // customer, not yet linked to it. A revoked invitation's row is gone, so it can never be found here.
            string normalized = email.Trim().ToLowerInvariant();
            var candidates = await db.Users.Include(u => u.Customer)
                .Where(u => u.Email == normalized && (u.PasswordHash != null || u.AzureObjectId != null || (u.InvitedAt != null && u.InvitationAcceptedAt == null)))
                .Where(u => system.CustomerId == null || u.CustomerId == system.CustomerId)
                .Where(u => !db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystemId == system.Id))
                .Take(2)
                .ToListAsync(cancellationToken);
            if (candidates.Count > 1)
            {
                return await RefuseAsync(db, identity, SignInDenial.AmbiguousEmail, null, system.CustomerId, cancellationToken);
            }

            user = candidates.SingleOrDefault();
            linkedBy = "email";
        }

        // A customer's provider vouches only for that customer's users, whatever a mapping says.
        if (user is null || (system.CustomerId is not null && user.CustomerId != system.CustomerId))
        {
            // Said apart from "no account" so the person knows what to fix at the provider; said whether or not an
            // account has that email, so the answer reveals nothing about the portal's accounts.
            var refusal = user is null && !identity.EmailVerified && !string.IsNullOrWhiteSpace(identity.Email)
                ? SignInDenial.EmailNotVerified
                : SignInDenial.UnknownUser;
            return await RefuseAsync(db, identity, refusal, null, system.CustomerId, cancellationToken);
        }

        // A customer's admins configure its providers, so such a provider could vouch for anyone of the customer it
        // likes: it may never open a platform admin's session.
        if (system.CustomerId is not null && user.PortalRole == PortalRole.PlatformAdmin)
        {
            logger.LogWarning("Sign-in of platform admin {UserId} through customer provider {Provider} refused.", user.Id, system.Id);
            return await RefuseAsync(db, identity, SignInDenial.PlatformAdminNeedsPlatformProvider, user.Id, user.CustomerId, cancellationToken);
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        bool acceptsInvitation = false;
        if (user.IsInvitationPending)
        {
            // Only the verified-email link accepts an invitation: a subject an admin linked by hand, or Entra ids, never do.
            SignInDenial? invitationDenial = linkedBy != "email" ? SignInDenial.InvitationNotAccepted
                : user.InvitationExpiresAt is not { } expires || expires <= now ? SignInDenial.InvitationExpired
                : null;
            if (invitationDenial is not null)
            {
                return await RefuseAsync(db, identity, invitationDenial.Value, user.Id, user.CustomerId, cancellationToken);
            }

            acceptsInvitation = true;
        }

        SignInDenial? denial = !user.IsActive ? SignInDenial.Inactive
            : user.IsLocked ? SignInDenial.Locked
            : user.Customer?.IsActive == false ? SignInDenial.CustomerInactive
            : user.PortalRole is null ? SignInDenial.NoPortalRole
            : null;
        if (denial is not null)
        {
            return await RefuseAsync(db, identity, denial.Value, user.Id, user.CustomerId, cancellationToken);
        }

        if (acceptsInvitation)
        {
            user.InvitationAcceptedAt = now;
            // An entry of its own: the user row's entry in this save is the sign_in the dashboard counts.
            db.AuditLog.Add(new Features.Audit.AuditEntry
            {
                At = now,
                Actor = db.Tenant.Actor,
                CustomerId = user.CustomerId,
                EntityType = nameof(User),
                EntityId = user.Id,
                EntityLabel = Features.Audit.AuditLabels.For(user),
                Action = Features.Audit.AuditActions.InvitationAccepted,
                Changes = System.Text.Json.JsonSerializer.Serialize(new { scheme = identity.Scheme, email = user.Email, role = user.PortalRole?.ToString() }),
            });
        }

        if (mapping is null)
        {
            // The legacy → OIDC migration step: audited as link_identity, with how the account was found.
            mapping = new UserCiamMapping { UserId = user.Id, CustomerId = user.CustomerId, CiamSystemId = system.Id, ExternalSubject = identity.Subject };
            db.UserCiamMappings.Add(mapping);
            db.SetAuditAction(mapping, $"link_identity_by_{linkedBy}");
            if (user.OidcSubject is null)
            {
                user.OidcSubject = identity.Subject;
                user.OidcIssuer = identity.Issuer;
            }
        }

        mapping.LastLoginAt = now;
        user.LoginCount++;
        user.LastLoginAt = now;
        db.SetAuditAction(user, Features.Audit.AuditActions.SignIn);
        // The server-side session, in the same transaction: its id goes into the cookie, and sign-out, revoke and
        // lock end it (see PortalSessionService).
        var session = PortalSessionService.Create(user.Id, user.CustomerId, identity.Scheme, origin, now);
        db.PortalSessions.Add(session);
        db.SetAuditAction(session, "start_session");
        await db.SaveChangesAsync(cancellationToken);
        access.Invalidate(user.Id);

        var claims = new List<Claim>
        {
            new(PortalClaimTypes.UserId, user.Id.ToString(CultureInfo.InvariantCulture)),
            new(PortalClaimTypes.DisplayName, user.DisplayName),
            new(PortalClaimTypes.Email, user.Email),
            new(PortalClaimTypes.Provider, identity.Scheme),
            new(PortalClaimTypes.SessionId, session.Id.ToString(CultureInfo.InvariantCulture)),
            new(PortalClaimTypes.SignedInAt, new DateTimeOffset(now).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        claims.AddRange(PortalClaimsTransformation.ClaimsFor(new UserAccess(user.Id, user.PortalRole, user.CustomerId, user.SiteId, user.Customer?.Name ?? "", true, false, true, user.TokensRevokedAt)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, identity.Scheme, PortalClaimTypes.DisplayName, PortalClaimTypes.Role));
        return new SignInOutcome(principal, null, user.Id);
    }

    /// <summary>
    /// Records a refused sign-in: one log line and one sign_in_refused audit entry, and nothing else. The entry belongs
    /// to the user's customer when the user is known, else to the provider's customer (null: the platform's), so a
    /// customer's admins see refusals on their own providers and accounts only.
    /// </summary>
    private async Task<SignInOutcome> RefuseAsync(PortalDbContext db, ExternalIdentity identity, SignInDenial denial, long? userId, long? customerId, CancellationToken cancellationToken)
    {
        // Never tokens or claims: the subject only as a short hash, enough to correlate repeated attempts.
        logger.LogWarning("Sign-in through {Scheme} refused: {Reason} (issuer {IssuerHost}, subject hash {SubjectHash}, user {UserId}).",
            identity.Scheme, denial, IssuerHost(identity.Issuer), SubjectHash(identity.Subject), userId);
        db.ChangeTracker.Clear();
        db.AuditLog.Add(new Features.Audit.AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            Actor = db.Tenant.Actor,
            CustomerId = customerId,
            EntityType = "SignIn",
            EntityId = userId ?? 0,
            EntityLabel = Features.Audit.AuditLabels.Clip(identity.Email),
            Action = Features.Audit.AuditActions.SignInRefused,
            // The email is the identity the person claimed: what an admin searches for when someone says "I can't get in".
            Changes = System.Text.Json.JsonSerializer.Serialize(new { reason = denial.ToString(), scheme = identity.Scheme, email = identity.Email }),
        });
        await db.SaveChangesAsync(cancellationToken);
        return new SignInOutcome(null, denial, userId);
    }

    internal static string? IssuerHost(string? issuer) => Uri.TryCreate(issuer, UriKind.Absolute, out var uri) ? uri.Host : null;

    internal static string SubjectHash(string subject) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(subject)))[..12];

    private static async Task<CiamSystem?> FindSystemAsync(PortalDbContext db, string authority, CancellationToken cancellationToken)
    {
        // Exactly one enabled row may claim a configured scheme's authority; two would make it unclear whose users
        // it signs in, so neither does (the identity providers page refuses to create the second).
        string trimmed = authority.TrimEnd('/');
        var rows = await db.CiamSystems.AsNoTracking()
            .Where(c => c.IsEnabled && (c.Authority == trimmed || c.Authority == trimmed + "/"))
            .Take(2)
            .ToListAsync(cancellationToken);
        return rows.Count == 1 ? rows[0] : null;
    }
}
