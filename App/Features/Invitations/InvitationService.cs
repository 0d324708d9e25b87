using System.Globalization;
using System.Net.Mail;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Invitations;

/// <summary>What the invite form sends. Everything in it is untrusted: the service checks each field.</summary>
public sealed class InvitationRequest
{
    public string Email { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public PortalRole? Role { get; set; }
    public string SiteId { get; set; } = "";
}

/// <summary>The outcome of an invite or a resend: the change's result and, when it worked, the invited user and the expiry.</summary>
public sealed record InvitationResult(ChangeResult Change, string? UserId = null, DateTime? ExpiresAt = null)
{
    public bool Succeeded => Change.Succeeded;
}

/// <summary>A site an invited person can belong to, with its customer (a platform admin invites for any customer).</summary>
public sealed record InvitationSite(string Id, string Name, string Customer);

/// <summary>A user's invitation, for the user detail page.</summary>
public sealed record InvitationState(string UserId, string Email, PortalRole? Role, DateTime InvitedAt, DateTime? ExpiresAt, DateTime? AcceptedAt, bool Expired)
{
    public bool Pending => AcceptedAt is null;
}

/// <summary>
/// Invitations: an admin invites a person by email with a portal role and a site. The invitation is the user row itself,
/// created as invited; the person's first sign-in through any provider of their customer (or the platform's) links it
/// by a verified email (see <see cref="SignInService"/>). Invitations expire, and can be resent or revoked. The portal
/// sends no email: the admin passes the sign-in link on.
/// </summary>
public sealed class InvitationService(
    IDbContextFactory<PortalDbContext> factory,
    UserAccessService access,
    UserSyncNotifier notifier,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<InvitationService> logger)
{
    /// <summary>The roles an invitation can carry; platform_admin is granted on the roles page, never by email.</summary>
    public static readonly PortalRole[] InvitableRoles = [PortalRole.CustomerAdmin, PortalRole.Support, PortalRole.Editor];

    public static readonly TimeSpan DefaultValidFor = TimeSpan.FromDays(7);

    /// <summary>How long an invitation links (setting <c>Invitations:ValidFor</c>); a value that is not positive means the default.</summary>
    public TimeSpan ValidFor => configuration.GetValue("Invitations:ValidFor", DefaultValidFor) is { } value && value > TimeSpan.Zero ? value : DefaultValidFor;

    /// <summary>The link an admin passes on: the portal's sign-in page. It carries no secret; the verified email is what links.</summary>
    public static string SignInLink(string baseUri) => baseUri.TrimEnd('/') + "/signin";

    public async Task<List<InvitationSite>> GetSiteChoicesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sites = await db.Sites.AsNoTracking().OrderBy(s => s.Customer!.Name).ThenBy(s => s.Name)
            .Select(s => new { s.Id, s.Name, Customer = s.Customer!.Name }).ToListAsync(cancellationToken);
        return sites.Select(s => new InvitationSite(Text(s.Id), s.Name, s.Customer)).ToList();
    }

    /// <summary>The user's invitation; null when the user was never invited or is not one of the circuit's.</summary>
    public async Task<InvitationState?> GetAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId && u.InvitedAt != null)
            .Select(u => new { u.Id, u.Email, u.PortalRole, u.InvitedAt, u.InvitationExpiresAt, u.InvitationAcceptedAt })
            .FirstOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return null;
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        return new InvitationState(Text(user.Id), user.Email, user.PortalRole, user.InvitedAt!.Value, user.InvitationExpiresAt, user.InvitationAcceptedAt,
            user.InvitationAcceptedAt is null && (user.InvitationExpiresAt is not { } expires || expires <= now));
    }

    public async Task<InvitationResult> InviteAsync(InvitationRequest request, CancellationToken cancellationToken = default)
    {
        string email = (request.Email ?? "").Trim().ToLowerInvariant();
        string name = (request.DisplayName ?? "").Trim();
        if (email.Length > User.MaxEmailLength)
        {
            return Invalid(nameof(InvitationRequest.Email), TextLimits.Message("An email address", User.MaxEmailLength, email.Length));
        }

        if (email.Length == 0 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || email.Any(char.IsControl))
        {
            return Invalid(nameof(InvitationRequest.Email), "Enter a valid email address, like name@example.com.");
        }

        if (name.Length > User.MaxDisplayNameLength)
        {
            return Invalid(nameof(InvitationRequest.DisplayName), TextLimits.Message("A name", User.MaxDisplayNameLength, name.Length));
        }

        if (name.Any(char.IsControl))
        {
            return Invalid(nameof(InvitationRequest.DisplayName), "A name cannot contain control characters (line breaks, tabs, …).");
        }

        if (request.Role is not { } role || !InvitableRoles.Contains(role))
        {
            return Invalid(nameof(InvitationRequest.Role), "Choose a role: customer admin, support or editor.");
        }

        if (!long.TryParse(request.SiteId, NumberStyles.None, CultureInfo.InvariantCulture, out long siteId))
        {
            return Invalid(nameof(InvitationRequest.SiteId), role == PortalRole.Editor ? "Choose the site this editor works on." : "Choose a site.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (Refusal(db.Tenant) is { } refusal)
        {
            return Invalid("Action", refusal);
        }

        // The site decides the customer; another tenant's site is not visible, so it is "not found" like any bad id.
        var site = await db.Sites.AsNoTracking().Where(s => s.Id == siteId).Select(s => new { s.Id, s.CustomerId }).FirstOrDefaultAsync(cancellationToken);
        if (site is null)
        {
            return Invalid(nameof(InvitationRequest.SiteId), "Choose one of your sites.");
        }

        var existing = await db.Users.AsNoTracking().Where(u => u.CustomerId == site.CustomerId && u.Email == email)
            .Select(u => new { Pending = u.InvitedAt != null && u.InvitationAcceptedAt == null }).FirstOrDefaultAsync(cancellationToken);
        if (existing is not null)
        {
            return Invalid(nameof(InvitationRequest.Email), existing.Pending
                ? "This person is already invited. Resend or revoke that invitation from their user page."
                : "Already a user of this customer.");
        }

        DateTime now = clock.GetUtcNow().UtcDateTime;
        var user = new User
        {
            CustomerId = site.CustomerId,
            SiteId = site.Id,
            Email = email,
            DisplayName = name.Length > 0 ? name : email[..email.IndexOf('@')],
            PortalRole = role,
            IsActive = true,
            InvitedAt = now,
            InvitationExpiresAt = now + ValidFor,
            InvitedByUserId = db.Tenant.ActorUserId,
        };
        db.Users.Add(user);
        db.SetAuditAction(user, AuditActions.InvitationCreated);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception is not DbUpdateConcurrencyException)
        {
            // The unique (customer, email) index: a user this circuit cannot see (a platform admin narrowed to one
            // site), or one added at the same moment. Nothing was saved.
            logger.LogInformation("An invitation was refused by the unique email index of customer {CustomerId}.", site.CustomerId);
            return Invalid(nameof(InvitationRequest.Email), "Already a user of this customer.");
        }

        // The portal has no mail infrastructure: nothing is sent, and the log says so without the address.
        logger.LogInformation("Invitation for user {UserId} created; no email is sent, the admin passes the sign-in link on.", user.Id);
        notifier.Changed([user.Id]);
        return new InvitationResult(ChangeResult.Ok(), Text(user.Id), user.InvitationExpiresAt);
    }

    /// <summary>A pending invitation (expired or not) gets a new expiry from now.</summary>
    public async Task<InvitationResult> ResendAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (Refusal(db.Tenant) is { } refusal)
        {
            return Invalid("Action", refusal);
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return new InvitationResult(ChangeResult.Missing());
        }

        if (NotPending(user) is { } reason)
        {
            return Invalid("Action", reason);
        }

        user.InvitationExpiresAt = clock.GetUtcNow().UtcDateTime + ValidFor;
        db.SetAuditAction(user, AuditActions.InvitationResent);
        if (await SaveAsync(db, userId, cancellationToken) is { } conflict)
        {
            return new InvitationResult(conflict);
        }

        logger.LogInformation("Invitation for user {UserId} resent; no email is sent, the admin passes the sign-in link on.", userId);
        return new InvitationResult(ChangeResult.Ok(), Text(userId), user.InvitationExpiresAt);
    }

    /// <summary>
    /// Deletes the invited user row: a revoked invitation has nothing left that a sign-in could link to, and the same
    /// email can be invited again. The audit entry keeps who was invited and who revoked it.
    /// </summary>
    public async Task<ChangeResult> RevokeAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (Refusal(db.Tenant) is { } refusal)
        {
            return ChangeResult.Invalid("Action", refusal);
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return ChangeResult.Missing();
        }

        if (NotPending(user) is { } reason)
        {
            return ChangeResult.Invalid("Action", reason);
        }

        db.Users.Remove(user);
        db.SetAuditAction(user, AuditActions.InvitationRevoked);
        return await SaveAsync(db, userId, cancellationToken) ?? ChangeResult.Ok();
    }

    /// <summary>Only admins invite: customer admins within their customer, platform admins for any (the service asks too, not only the page).</summary>
    private static string? Refusal(TenantScope scope) =>
        scope.AllCustomers || scope.Role is PortalRoles.PlatformAdmin or PortalRoles.CustomerAdmin
            ? null
            : "Only customer admins and platform admins can manage invitations.";

    private static string? NotPending(User user) => user.InvitedAt is null
        ? "This user was not invited; there is no invitation to change."
        : user.InvitationAcceptedAt is not null
            ? "This invitation was already accepted: the person has signed in."
            : null;

    /// <summary>Saves; a concurrent change (the person signing in at this moment) is a conflict, never an overwrite.</summary>
    private async Task<ChangeResult?> SaveAsync(PortalDbContext db, long userId, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A version conflict, or (for a revoke) the identity link the first sign-in has just added.
            return new ChangeResult(false, [], "The invitation changed meanwhile (the person may have just signed in). Reload to see it; nothing was changed.");
        }

        access.Invalidate(userId);
        notifier.Changed([userId]);
        return null;
    }

    private static InvitationResult Invalid(string field, string message) => new(ChangeResult.Invalid(field, message));

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
