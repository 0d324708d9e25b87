using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Data;

/// <summary>
/// The demo data that a fresh embedded database starts with: 2 customers, 3 sites, 40 users covering every
/// combination of auth kind (legacy only, OIDC only, both) and sync status, 60 posts in every status with some in the
/// Trash, 2 identity providers with mappings, and 30 days of sign-in history for the dashboard.
/// </summary>
/// <remarks>Deterministic apart from the clock: the same ids' shapes, names and mix every time.</remarks>
public static class DemoData
{
    public const int CustomerCount = 2;
    public const int SiteCount = 3;
    public const int UserCount = 40;
    public const int PostCount = 60;

    private static readonly string[] FirstNames = ["Ada", "Ben", "Chloe", "Dmitri", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tala"];
    private static readonly string[] LastNames = ["Okafor", "Lindqvist", "Moreau", "Petrov", "Yilmaz", "Haddad", "Kim", "Tanaka", "Silva", "Berg"];
    private static readonly string[] Topics = ["Quarterly results", "Product launch", "Team spotlight", "Security update", "Release notes", "Customer story", "Roadmap", "Event recap", "How-to guide", "Industry outlook"];
    private static readonly string[] SyncErrors =
    [
        "SCIM endpoint returned 503 Service Unavailable after 3 attempts.",
        "Provider discovery document could not be fetched: connection timed out after 10 s.",
        "Graph API rejected the request: 403 Forbidden (Authorization_RequestDenied).",
    ];

    public static async Task<bool> SeedIfEmptyAsync(PortalDbContext db, DateTime now, CancellationToken cancellationToken = default)
    {
        // Seeding runs in the platform's scope, which every Tenant filter admits.
        if (await db.Customers.AnyAsync(cancellationToken))
        {
            return false;
        }

        var strategy = db.Database.CreateExecutionStrategy();
        try
        {
            await strategy.ExecuteAsync(async () =>
            {
                // All or nothing: a half-seeded database would be seeded never again. A retried attempt starts clean.
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                db.WriteAuditEntries = false;
                AddAll(db, now);
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            });
        }
        catch (DbUpdateException exception) when (DatabaseFailure.IsUniqueViolation(exception))
        {
            // Another instance, started on the same empty database in the same moment, seeded it first (the demo
            // customers' slugs are unique): its data stands, and this attempt's transaction was rolled back whole.
            return false;
        }
        finally
        {
            db.WriteAuditEntries = true;
            db.ChangeTracker.Clear();
        }

        return true;
    }

    private static void AddAll(PortalDbContext db, DateTime now)
    {
        var random = new Random(20251004);
        DateTime Ago(double days) => now.AddDays(-days);

        var contoso = new Customer { Id = TimeOrderedId.Next(), Name = "Contoso Media", Slug = "contoso", CreatedAt = Ago(400) };
        var fabrikam = new Customer { Id = TimeOrderedId.Next(), Name = "Fabrikam Publishing", Slug = "fabrikam", CreatedAt = Ago(300) };
        db.Customers.AddRange(contoso, fabrikam);

        Site[] sites =
        [
            new() { Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Name = "Contoso News", Domain = "news.contoso.example", CreatedAt = Ago(390) },
            new() { Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Name = "Contoso Blog", Domain = "blog.contoso.example", CreatedAt = Ago(200) },
            new() { Id = TimeOrderedId.Next(), CustomerId = fabrikam.Id, Name = "Fabrikam Journal", Domain = "journal.fabrikam.example", CreatedAt = Ago(290) },
        ];
        db.Sites.AddRange(sites);

        // Disabled: they name tenants that do not exist, so as sign-in buttons they could only fail. Their users still
        // show how links to several providers look.
        const string contosoTenantId = "8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64";
        var entra = new CiamSystem
        {
            Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Name = "Contoso Entra ID", ProviderType = CiamProviderType.EntraId,
            Authority = $"https://login.microsoftonline.com/{contosoTenantId}/v2.0", ClientId = "3c9e1d52-7a40-4b8e-a1f6-0d2c5e8b9f13", IsEnabled = false, CreatedAt = Ago(380),
        };
        var keycloak = new CiamSystem
        {
            Id = TimeOrderedId.Next(), CustomerId = fabrikam.Id, Name = "Fabrikam Keycloak", ProviderType = CiamProviderType.Oidc,
            Authority = "https://sso.fabrikam.example/realms/fabrikam", ClientId = "admin-portal", IsEnabled = false, CreatedAt = Ago(280),
        };
        db.CiamSystems.AddRange(entra, keycloak);

        var users = new List<User>();
        for (int i = 0; i < UserCount; i++)
        {
            // Auth kind and sync status cycle independently, so the 40 users cover all 9 combinations, on every site.
            var kind = (AuthKind)(i % 3);
            var sync = (SyncStatus)(i / 3 % 3);
            var site = sites[(i + i / 9) % sites.Length];
            var customer = site.CustomerId == contoso.Id ? contoso : fabrikam;
            var provider = customer == contoso ? entra : keycloak;
            string first = FirstNames[i % FirstNames.Length], last = LastNames[i / 2 % LastNames.Length];
            int logins = i % 8 == 7 ? 0 : random.Next(1, 240);
            var user = new User
            {
                Id = TimeOrderedId.Next(),
                CustomerId = customer.Id,
                SiteId = site.Id,
                Email = $"{first}.{last}{i}@{customer.Slug}.example".ToLowerInvariant(),
                DisplayName = $"{first} {last}",
                LoginCount = logins,
                LastLoginAt = logins == 0 ? null : Ago(random.NextDouble() * (i % 5 == 4 ? 120 : 29)),
                SyncStatus = sync,
                LastSyncedAt = sync == SyncStatus.Pending ? null : Ago(random.NextDouble() * 3),
                LastSyncError = sync == SyncStatus.Failed ? SyncErrors[i % SyncErrors.Length] : null,
                IsActive = i % 11 != 10,
                IsLocked = i % 7 == 6,
                CreatedAt = Ago(250 - i * 5),
            };

            if (kind is AuthKind.LegacyOnly or AuthKind.Both)
            {
                // A placeholder in the shape of a bcrypt hash: demo data holds no real credential.
                user.PasswordHash = $"$2a$12$demo.{Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))}";
                if (customer == contoso && i % 2 == 0)
                {
                    user.AzureTenantId = contosoTenantId;
                    user.AzureObjectId = new Guid(random.Next(), (short)i, (short)i, 1, 2, 3, 4, 5, 6, 7, 8).ToString();
                }
            }

            if (kind is AuthKind.OidcOnly or AuthKind.Both)
            {
                string subject = $"{customer.Slug}-{i:D4}";
                user.OidcIssuer = provider.Authority;
                user.OidcSubject = subject;
                db.UserCiamMappings.Add(new UserCiamMapping { Id = TimeOrderedId.Next(), UserId = user.Id, CustomerId = user.CustomerId, CiamSystemId = provider.Id, ExternalSubject = subject, LastLoginAt = user.LastLoginAt, CreatedAt = Ago(60) });
            }

            if (logins > 0 && i % 4 != 3)
            {
                user.RefreshTokenHash = $"demo-{Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))}";
                user.TokenExpiresAt = now.AddDays(random.Next(-5, 30));
            }

            if (i % 13 == 12)
            {
                user.TokensRevokedAt = Ago(1);
                user.RefreshTokenHash = null;
            }

            users.Add(user);
        }

        db.Users.AddRange(users);
        AddPersonas(db, users, [contoso, fabrikam], sites, now);

        for (int i = 0; i < PostCount; i++)
        {
            var site = sites[i % sites.Length];
            var authors = users.Where(u => u.SiteId == site.Id).ToList();
            var status = (PostStatus)(i / 3 % 3);
            string title = $"{Topics[i % Topics.Length]} #{i + 1}";
            db.Posts.Add(new Post
            {
                Id = TimeOrderedId.Next(),
                SiteId = site.Id,
                AuthorId = authors[i % authors.Count].Id,
                Title = title,
                Slug = $"{Topics[i % Topics.Length].ToLowerInvariant().Replace(' ', '-')}-{i + 1}",
                Content = $"# {title}\n\nDemo content for **{site.Name}**.\n\n- one\n- two\n",
                Status = status,
                PublishedAt = status switch
                {
                    PostStatus.Published => Ago(random.NextDouble() * 90),
                    PostStatus.Scheduled => now.AddDays(1 + random.NextDouble() * 14),
                    _ => null,
                },
                // Every seventh post is in the Trash, across all three statuses.
                DeletedAt = i % 7 == 3 ? Ago(random.NextDouble() * 10) : null,
                CreatedAt = Ago(120 - i),
            });
        }

        // Sign-in history: what identity sign-in writes, one audit entry per sign-in. The dashboard charts it.
        foreach (var user in users.Where(u => u.LastLoginAt > Ago(30)))
        {
            int earlier = Math.Min(user.LoginCount - 1, random.Next(0, 6));
            var times = Enumerable.Range(0, earlier).Select(_ => Ago(random.NextDouble() * 30)).Append(user.LastLoginAt!.Value);
            foreach (var at in times)
            {
                db.AuditLog.Add(new AuditEntry { Id = TimeOrderedId.Next(), At = at, Actor = user.Email, ActorUserId = user.Id, CustomerId = user.CustomerId, EntityType = nameof(User), EntityId = user.Id, EntityLabel = AuditLabels.For(user), Action = AuditActions.SignIn });
            }
        }

        db.AuditLog.Add(new AuditEntry { Id = TimeOrderedId.Next(), At = now, Actor = db.Tenant.Actor, EntityType = "Database", EntityId = 0, Action = "seed_demo_data", Changes = $$"""{"customers":{{CustomerCount}},"sites":{{SiteCount}},"users":{{UserCount}},"posts":{{PostCount}}}""" });
    }

    /// <summary>
    /// The people you can be in the embedded development identity provider: a platform admin, and per customer a
    /// customer admin, a support agent and an editor, each linked to the development provider. One legacy-only support
    /// agent has no link yet, to show a first OIDC sign-in linking a legacy account by its email.
    /// </summary>
    private static void AddPersonas(PortalDbContext db, List<User> users, Customer[] customers, Site[] sites, DateTime now)
    {
        var devProvider = new CiamSystem
        {
            Id = TimeOrderedId.Next(), CustomerId = null, Name = "Development sign-in", ProviderType = CiamProviderType.Oidc,
            Authority = Auth.DevIdentityProvider.Authority, ClientId = Auth.DevIdentityProvider.ClientId, CreatedAt = now.AddDays(-1),
        };
        db.CiamSystems.Add(devProvider);

        bool CanSignIn(User u) => u.IsActive && !u.IsLocked && u.TokensRevokedAt is null;
        void Link(User user, PortalRole role)
        {
            user.PortalRole = role;
            string subject = $"dev-{SnakeCaseEnumConverter.ToText(role).Replace('_', '-')}-{customers.Single(c => c.Id == user.CustomerId).Slug}";
            db.UserCiamMappings.Add(new UserCiamMapping { Id = TimeOrderedId.Next(), UserId = user.Id, CustomerId = user.CustomerId, CiamSystemId = devProvider.Id, ExternalSubject = subject, CreatedAt = now.AddDays(-1) });
        }

        foreach (var customer in customers)
        {
            var candidates = users.Where(u => u.CustomerId == customer.Id && u.OidcSubject is not null && CanSignIn(u)).ToList();
            Link(candidates[0], PortalRole.CustomerAdmin);
            Link(candidates[1], PortalRole.Support);
            // The editor works on the customer's first site.
            var editor = candidates.Skip(2).First(u => u.SiteId == sites.First(s => s.CustomerId == customer.Id).Id);
            Link(editor, PortalRole.Editor);
            if (customer == customers[0])
            {
                // A failed sync against the development provider, which a retry in the portal repairs.
                editor.SyncStatus = SyncStatus.Failed;
                editor.LastSyncedAt = now.AddHours(-2);
                editor.LastSyncError = "Provider discovery document could not be fetched: connection refused (the development provider was not running).";
            }
        }

        Link(users.First(u => u.CustomerId == customers[0].Id && u.OidcSubject is not null && CanSignIn(u) && u.PortalRole is null), PortalRole.PlatformAdmin);
        users.First(u => u.CustomerId == customers[0].Id && u.OidcSubject is null && u.AzureObjectId is not null && CanSignIn(u)).PortalRole = PortalRole.Support;
    }

    private enum AuthKind
    {
        LegacyOnly,
        OidcOnly,
        Both,
    }
}
