using System.Globalization;
using System.Net.Mail;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Sessions;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Users;

/// <summary>
/// One user: the detail view, the profile edit, and the support actions (revoke tokens, lock, unlock, retry sync,
/// link and unlink identities). Every change is audited by the context; ids of other tenants are simply not found.
/// </summary>
public sealed class UserSupportService(IDbContextFactory<PortalDbContext> factory, UserAccessService access, UserSyncNotifier notifier, TimeProvider clock, PortalSessionService sessions)
{
    public async Task<UserDetail?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().Include(u => u.Site).FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null)
        {
            return null;
        }

        var identities = await db.UserCiamMappings.AsNoTracking().Where(m => m.UserId == id).OrderBy(m => m.CreatedAt)
            .Select(m => new { m.Id, m.CiamSystemId, m.CiamSystem!.Name, m.CiamSystem.ProviderType, m.ExternalSubject, m.LastLoginAt, m.CreatedAt, m.CiamSystem.IsEnabled })
            .ToListAsync(cancellationToken);
        return new UserDetail(
            Text(user.Id), user.DisplayName, user.Email, Text(user.SiteId), user.Site!.Name, user.IsActive, user.IsLocked, user.Version,
            user.PasswordHash is not null, user.AzureObjectId, user.AzureTenantId,
            identities.Select(m => new IdentityLink(Text(m.Id), Text(m.CiamSystemId), m.Name, m.ProviderType, m.ExternalSubject, m.LastLoginAt, m.CreatedAt, m.IsEnabled)).ToList(),
            user.LoginCount, user.LastLoginAt, user.TokenExpiresAt, user.TokensRevokedAt, user.RefreshTokenHash is not null,
            user.SyncStatus, user.LastSyncedAt, user.LastSyncError, user.CreatedAt, user.UpdatedAt);
    }

    public async Task<List<AuditLine>> GetHistoryAsync(long id, int take = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        // The user's own entries, their identity links' and their portal sessions'. A link's creation and deletion name
        // the user exactly ("user_id":{"old":null,"new":12} — the closing brace keeps 12 from matching 123); a link
        // still there, and a session, are theirs by their row.
        string linked = $"\"user_id\":{{\"old\":null,\"new\":{Text(id)}}}";
        string unlinked = $"\"user_id\":{{\"old\":{Text(id)},\"new\":null}}";
        var lines = await db.AuditLog.AsNoTracking()
            .Where(a => (a.EntityType == nameof(User) && a.EntityId == id)
                || (a.EntityType == nameof(UserCiamMapping) && (a.Changes!.Contains(linked) || a.Changes!.Contains(unlinked)
                    || db.UserCiamMappings.Any(m => m.Id == a.EntityId && m.UserId == id)))
                || (a.EntityType == nameof(PortalSession) && db.PortalSessions.Any(s => s.Id == a.EntityId && s.UserId == id)))
            .OrderByDescending(a => a.At).ThenByDescending(a => a.Id)
            .Take(take)
            .Select(a => new
            {
                a.At, a.Actor, a.ActorUserId, a.Action, a.Changes,
                ActorName = db.Users.Where(u => u.Id == a.ActorUserId).Select(u => u.DisplayName).FirstOrDefault(),
                ActorEmail = db.Users.Where(u => u.Id == a.ActorUserId).Select(u => u.Email).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return lines.Select(a => new AuditLine(a.At, Audit.AuditLabels.Actor(a.Actor, a.ActorUserId, a.ActorName, a.ActorEmail), a.Action, Audit.AuditDiff.Parse(a.Changes))).ToList();
    }

    /// <summary>The sites a user may be moved to: the user's own customer's, as the circuit sees them.</summary>
    public async Task<List<(string Id, string Name)>> GetSiteChoicesAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var customer = await db.Users.Where(u => u.Id == userId).Select(u => (long?)u.CustomerId).FirstOrDefaultAsync(cancellationToken);
        var sites = await db.Sites.AsNoTracking().Where(s => s.CustomerId == customer).OrderBy(s => s.Name).Select(s => new { s.Id, s.Name }).ToListAsync(cancellationToken);
        return sites.Select(s => (Text(s.Id), s.Name)).ToList();
    }

    /// <summary>The providers a user can be linked to: their customer's and the platform's.</summary>
    public async Task<List<(string Id, string Name)>> GetProviderChoicesAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var customer = await db.Users.Where(u => u.Id == userId).Select(u => (long?)u.CustomerId).FirstOrDefaultAsync(cancellationToken);
        var providers = await db.CiamSystems.AsNoTracking().Where(c => c.CustomerId == null || c.CustomerId == customer).OrderBy(c => c.Name)
            .Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken);
        return providers.Select(c => (Text(c.Id), c.Name)).ToList();
    }

    public async Task<ChangeResult> UpdateProfileAsync(long id, ProfileEdit edit, CancellationToken cancellationToken = default)
    {
        string name = edit.DisplayName.Trim();
        string email = edit.Email.Trim().ToLowerInvariant();
        if (name.Length == 0)
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.DisplayName), "Enter a name.");
        }

        if (name.Length > User.MaxDisplayNameLength)
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.DisplayName), TextLimits.Message("A name", User.MaxDisplayNameLength, name.Length));
        }

        if (email.Length > User.MaxEmailLength)
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.Email), TextLimits.Message("An email address", User.MaxEmailLength, email.Length));
        }

        if (email.Length == 0 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.Email), "Enter a valid email address, like name@example.com.");
        }

        if (!long.TryParse(edit.SiteId, NumberStyles.None, CultureInfo.InvariantCulture, out long siteId))
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.SiteId), "Choose a site.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var result = await AdminSafeguards.InGuardedTransactionAsync(db, () => UpdateProfileInAsync(db, id, edit, name, email, siteId, cancellationToken), cancellationToken);
        ForgetEndedSessions(db, result);
        return result;
    }

    private async Task<ChangeResult> UpdateProfileInAsync(PortalDbContext db, long id, ProfileEdit edit, string name, string email, long siteId, CancellationToken cancellationToken)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null)
        {
            return ChangeResult.Missing();
        }

        if (user.IsActive && !edit.IsActive && await RefusalAsync(db, id, GuardedAction.Deactivate, cancellationToken) is { } refusal)
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.IsActive), refusal);
        }

        if (!await db.Sites.AnyAsync(s => s.Id == siteId && s.CustomerId == user.CustomerId, cancellationToken))
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.SiteId), "Choose one of this customer's sites.");
        }

        if (email != user.Email && await db.Users.AnyAsync(u => u.CustomerId == user.CustomerId && u.Email == email && u.Id != id, cancellationToken))
        {
            return ChangeResult.Invalid(nameof(ProfileEdit.Email), "Another user of this customer already has this email address.");
        }

        // The version the form was loaded with: a save on top of someone else's is a conflict, never an overwrite.
        // A change since then that left the profile as the form loaded it (a sync finishing, a sign-in) is not one.
        bool profileAsLoaded = edit.Loaded == new ProfileFields(user.DisplayName, user.Email, user.SiteId.ToString(CultureInfo.InvariantCulture), user.IsActive);
        db.Entry(user).Property(u => u.Version).OriginalValue = profileAsLoaded ? user.Version : edit.Version;
        user.DisplayName = name;
        user.Email = email;
        user.SiteId = siteId;
        if (user.IsActive && !edit.IsActive)
        {
            await PortalSessionService.EndOpenSessionsAsync(db, [id], SessionEndReason.Deactivated, clock.GetUtcNow().UtcDateTime, cancellationToken);
        }

        user.IsActive = edit.IsActive;
        return await SaveAsync(db, id, cancellationToken);
    }

    public Task<ChangeResult> RevokeTokensAsync(long id, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, "revoke_tokens", user =>
        {
            user.TokensRevokedAt = clock.GetUtcNow().UtcDateTime;
            user.RefreshTokenHash = null;
            user.TokenExpiresAt = null;
            return null;
        }, cancellationToken, SessionEndReason.TokensRevoked, GuardedAction.RevokeTokens);

    public Task<ChangeResult> SetLockedAsync(long id, bool locked, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, locked ? "lock" : "unlock", user =>
        {
            if (user.IsLocked == locked)
            {
                return locked ? "The user is already locked." : "The user is not locked.";
            }

            user.IsLocked = locked;
            return null;
        }, cancellationToken, locked ? SessionEndReason.Locked : null, locked ? GuardedAction.Lock : null);

    /// <summary>failed → pending; the sync worker picks it up. Refused without a linked, enabled provider (SyncReadiness).</summary>
    public async Task<ChangeResult> RetrySyncAsync(long id, CancellationToken cancellationToken = default)
    {
        // The page offers no Retry then; this refuses the call itself, so a tampered or stale event changes nothing.
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Users.AnyAsync(u => u.Id == id, cancellationToken))
            {
                return ChangeResult.Missing();
            }

            var links = await db.UserCiamMappings.AsNoTracking().Where(m => m.UserId == id)
                .Select(m => new { m.CiamSystem!.Name, m.CiamSystem.IsEnabled }).ToListAsync(cancellationToken);
            if (SyncReadiness.Blocker(links.Select(l => (l.Name, l.IsEnabled)).ToList()) is { } blocker)
            {
                return ChangeResult.Invalid("Action", blocker);
            }
        }

        return await ChangeAsync(id, "retry_sync", user =>
        {
            if (user.SyncStatus != SyncStatus.Failed)
            {
                return $"Only a failed sync can be retried; this one is {user.SyncStatus.ToString().ToLowerInvariant()}.";
            }

            user.SyncStatus = SyncStatus.Pending;
            return null;
        }, cancellationToken);
    }

    public async Task<ChangeResult> LinkIdentityAsync(long userId, string providerId, string subject, CancellationToken cancellationToken = default)
    {
        subject = subject.Trim();
        if (!long.TryParse(providerId, NumberStyles.None, CultureInfo.InvariantCulture, out long systemId))
        {
            return ChangeResult.Invalid("Provider", "Choose an identity provider.");
        }

        if (subject.Length is 0 or > UserCiamMapping.MaxSubjectLength)
        {
            return ChangeResult.Invalid("Subject", $"Enter the user's subject (sub) at that provider, at most {UserCiamMapping.MaxSubjectLength} characters.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        // The user's customer from the filtered set: another tenant's user is "not found", and the mapping gets the user's tenant.
        if (await db.Users.Where(u => u.Id == userId).Select(u => (long?)u.CustomerId).FirstOrDefaultAsync(cancellationToken) is not long customerId)
        {
            return ChangeResult.Missing();
        }

        var mapping = new UserCiamMapping { UserId = userId, CustomerId = customerId, CiamSystemId = systemId, ExternalSubject = subject };
        db.UserCiamMappings.Add(mapping);
        db.SetAuditAction(mapping, "link_identity");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Tenancy.CrossTenantWriteException)
        {
            return ChangeResult.Invalid("Provider", "Choose one of this customer's providers or a platform provider.");
        }
        catch (DbUpdateException)
        {
            // The unique (provider, subject) index, across tenants: a subject belongs to one user only. The filters
            // are never bypassed to look, and the message does not say whose it is.
            return ChangeResult.Invalid("Subject", "This subject is already linked to a user at that provider.");
        }

        access.Invalidate(userId);
        return ChangeResult.Ok();
    }

    public async Task<ChangeResult> UnlinkIdentityAsync(long userId, long mappingId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var mapping = await db.UserCiamMappings.FirstOrDefaultAsync(m => m.Id == mappingId && m.UserId == userId, cancellationToken);
        if (mapping is null)
        {
            return ChangeResult.Missing();
        }

        db.UserCiamMappings.Remove(mapping);
        db.SetAuditAction(mapping, "unlink_identity");
        await db.SaveChangesAsync(cancellationToken);
        access.Invalidate(userId);
        return ChangeResult.Ok();
    }

    /// <summary>Loads, applies a rule (null = allowed, else the reason), saves with the audit action.</summary>
    /// <param name="endSessions">The user's open sessions end in the same transaction, for this reason.</param>
    /// <remarks>A <paramref name="guard"/>ed action first asks <see cref="AdminSafeguards"/>, in the transaction that saves.</remarks>
    private async Task<ChangeResult> ChangeAsync(long id, string action, Func<User, string?> rule, CancellationToken cancellationToken, SessionEndReason? endSessions = null, GuardedAction? guard = null)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var result = guard is null
            ? await ChangeInAsync(db, id, action, rule, endSessions, null, cancellationToken)
            : await AdminSafeguards.InGuardedTransactionAsync(db, () => ChangeInAsync(db, id, action, rule, endSessions, guard, cancellationToken), cancellationToken);
        ForgetEndedSessions(db, result);
        if (result.Succeeded)
        {
            // After the guarded transaction's commit: another instance re-reading at once sees the change.
            notifier.Changed([id], action switch
            {
                "lock" or "unlock" => UserChangeKind.Lock,
                "revoke_tokens" => UserChangeKind.Revoke,
                _ => UserChangeKind.Changed,
            });
        }

        return result;
    }

    private async Task<ChangeResult> ChangeInAsync(PortalDbContext db, long id, string action, Func<User, string?> rule, SessionEndReason? endSessions, GuardedAction? guard, CancellationToken cancellationToken)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null)
        {
            return ChangeResult.Missing();
        }

        if (rule(user) is { } reason)
        {
            return ChangeResult.Invalid("Action", reason);
        }

        if (guard is { } guarded && await RefusalAsync(db, id, guarded, cancellationToken) is { } refusal)
        {
            return ChangeResult.Invalid("Action", refusal);
        }

        if (endSessions is { } endReason)
        {
            await PortalSessionService.EndOpenSessionsAsync(db, [id], endReason, clock.GetUtcNow().UtcDateTime, cancellationToken);
        }

        db.SetAuditAction(user, action);
        return await SaveAsync(db, id, cancellationToken, notify: false);
    }

    /// <param name="notify">False when the caller notifies after its own transaction commits.</param>
    private async Task<ChangeResult> SaveAsync(PortalDbContext db, long id, CancellationToken cancellationToken, bool notify = true)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var fresh = await factory.CreateDbContextAsync(cancellationToken);
            var last = await fresh.AuditLog.AsNoTracking().Where(a => a.EntityType == nameof(User) && a.EntityId == id)
                .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).FirstOrDefaultAsync(cancellationToken);
            string who = last is null ? "Someone else" : $"{last.Actor} ({last.Action.Replace('_', ' ')}, {AdminPortal.App.Components.Shared.ViewerTimeZone.Current.Format(last.At, "yyyy-MM-dd HH:mm:ss")})";
            return new ChangeResult(false, [], $"{who} changed this user after you opened it. Reload to see their change; nothing of yours was saved.");
        }

        access.Invalidate(id);
        if (notify)
        {
            notifier.Changed([id], UserChangeKind.Profile);
        }

        return ChangeResult.Ok();
    }

    /// <summary>
    /// After the commit: this instance refuses the sessions the change ended on their very next request, without
    /// asking the database (other instances within <see cref="PortalSessionService.ActiveCacheLifetime"/>).
    /// </summary>
    private void ForgetEndedSessions(PortalDbContext db, ChangeResult result)
    {
        if (result.Succeeded)
        {
            sessions.Forget(db.ChangeTracker.Entries<PortalSession>().Where(e => e.Entity.EndedAt is not null).Select(e => e.Entity.Id).ToList());
        }
    }

    private static async Task<string?> RefusalAsync(PortalDbContext db, long id, GuardedAction action, CancellationToken cancellationToken) =>
        (await AdminSafeguards.ExclusionsAsync(db, action, db.Users.Where(u => u.Id == id), cancellationToken)).FirstOrDefault() is { } exclusion
            ? AdminSafeguards.Refusal(action, exclusion)
            : null;

    private static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);
}
