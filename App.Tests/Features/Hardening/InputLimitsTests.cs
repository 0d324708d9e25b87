using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.IdentityProviders;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Hardening;

/// <summary>
/// Every text field's maximum, in the service, on both databases: one character over is refused with a message on that
/// field and nothing is saved; exactly at the limit is saved whole.
/// </summary>
public class InputLimitsTests
{
    private static string Text(int length, char c = 'a') => new(c, length);

    /// <summary>A DNS name of exactly <paramref name="length"/> characters, in labels of at most 63.</summary>
    private static string HostName(int length)
    {
        var labels = new List<string>();
        int left = length;
        while (left > 0)
        {
            int label = Math.Min(63, left - (labels.Count == 0 ? 0 : 1));
            if (labels.Count > 0)
            {
                left--; // the dot
            }

            labels.Add(Text(label));
            left -= label;
        }

        return string.Join('.', labels);
    }

    private static async Task<(long Customer, long Site)> ContosoAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var site = await context.Db.Sites.Where(s => s.Customer!.Slug == "contoso").OrderBy(s => s.Name).FirstAsync();
        return (site.CustomerId, site.Id);
    }

    [Theory, BothProviders]
    public async Task Post_TitleSlugContentOverTheLimit_RefusedOnTheFieldAndNothingSaved_AtTheLimitSaved(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (customer, site) = await ContosoAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "editor@contoso.example", PortalRoles.Editor, site));
        var posts = new PostLifecycleService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), scope.ServiceProvider.GetRequiredService<TenantContext>(), TimeProvider.System);
        async Task<int> CountAsync()
        {
            await using var context = await database.ContextAsync(TenantScope.System());
            return await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync();
        }

        int before = await CountAsync();
        var (title, _) = await posts.CreateDraftAsync(site, new PostEdit { Title = Text(Post.MaxTitleLength + 1) });
        Assert.Contains("at most 300 characters", title.Errors[nameof(PostEdit.Title)]);
        var (slug, _) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Slug", Slug = Text(Post.MaxSlugLength + 1) });
        Assert.Contains("at most 200 characters", slug.Errors[nameof(PostEdit.Slug)]);
        var (content, _) = await posts.CreateDraftAsync(site, new PostEdit { Title = "Huge", Content = Text(5_000_000) });
        Assert.Contains("at most 100,000 characters; this one has 5,000,000", content.Errors[nameof(PostEdit.Content)]);
        Assert.Equal(before, await CountAsync());

        var atLimit = new PostEdit { Title = Text(Post.MaxTitleLength, 't'), Slug = Text(Post.MaxSlugLength, 's'), Content = Text(Post.MaxContentLength, 'c') };
        var (created, idText) = await posts.CreateDraftAsync(site, atLimit);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Values));
        long id = long.Parse(idText!);
        Post stored;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            stored = await context.Db.Posts.AsNoTracking().SingleAsync(p => p.Id == id);
        }

        Assert.Equal((atLimit.Title, atLimit.Slug, Post.MaxContentLength), (stored.Title, stored.Slug, stored.Content.Length));

        // A save one character over changes nothing, not even the version; the same save at the limit goes through.
        var over = new PostEdit { Title = stored.Title, Slug = stored.Slug, Content = Text(Post.MaxContentLength + 1, 'x'), Version = stored.Version };
        Assert.Contains("at most 100,000", (await posts.SaveAsync(id, over)).Errors[nameof(PostEdit.Content)]);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var unchanged = await context.Db.Posts.AsNoTracking().SingleAsync(p => p.Id == id);
            Assert.Equal((stored.Version, Post.MaxContentLength, 'c'), (unchanged.Version, unchanged.Content.Length, unchanged.Content[0]));
        }

        var exact = new PostEdit { Title = stored.Title, Slug = stored.Slug, Content = Text(Post.MaxContentLength, 'y'), Version = stored.Version };
        Assert.True((await posts.SaveAsync(id, exact)).Succeeded);
        Assert.Equal(stored.Version + 1, exact.Version); // handed back: the editor's next save is not a conflict with itself
        Assert.True((await posts.SaveAsync(id, new PostEdit { Title = stored.Title, Slug = stored.Slug, Content = "next", Version = exact.Version })).Succeeded);
    }

    [Theory, BothProviders]
    public async Task UserProfile_NameEmailAndSubjectOverTheLimit_RefusedOnTheFieldAndNothingSaved_AtTheLimitSaved(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (customer, _) = await ContosoAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(customer, "admin@contoso.example", PortalRoles.CustomerAdmin));
        var support = new UserSupportService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
            new App.Auth.UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
        User user;
        long providerId;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            user = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == customer).OrderBy(u => u.Email).FirstAsync();
            providerId = await context.Db.CiamSystems.Where(c => c.CustomerId == customer).Select(c => c.Id).FirstAsync();
        }

        ProfileEdit Edit(string name, string email) => new() { DisplayName = name, Email = email, SiteId = user.SiteId.ToString(), IsActive = user.IsActive, Version = user.Version };
        async Task<User> StoredAsync()
        {
            await using var context = await database.ContextAsync(TenantScope.System());
            return await context.Db.Users.AsNoTracking().SingleAsync(u => u.Id == user.Id);
        }

        Assert.Contains("at most 200 characters", (await support.UpdateProfileAsync(user.Id, Edit(Text(5_000_000), user.Email))).Errors[nameof(ProfileEdit.DisplayName)]);
        Assert.Contains("at most 200 characters", (await support.UpdateProfileAsync(user.Id, Edit(Text(User.MaxDisplayNameLength + 1), user.Email))).Errors[nameof(ProfileEdit.DisplayName)]);
        string longestEmail = Text(64) + "@" + HostName(User.MaxEmailLength - 65);
        Assert.Equal(User.MaxEmailLength, longestEmail.Length);
        Assert.Contains("at most 320 characters", (await support.UpdateProfileAsync(user.Id, Edit(user.DisplayName, "b" + longestEmail))).Errors[nameof(ProfileEdit.Email)]);
        Assert.Equal((user.DisplayName, user.Email, user.Version), ((await StoredAsync()).DisplayName, (await StoredAsync()).Email, (await StoredAsync()).Version));

        var saved = await support.UpdateProfileAsync(user.Id, Edit(Text(User.MaxDisplayNameLength, 'n'), longestEmail));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        Assert.Equal((Text(User.MaxDisplayNameLength, 'n'), longestEmail), ((await StoredAsync()).DisplayName, (await StoredAsync()).Email));

        Assert.Contains("at most 255", (await support.LinkIdentityAsync(user.Id, providerId.ToString(), Text(UserCiamMapping.MaxSubjectLength + 1))).Errors["Subject"]);
        Assert.True((await support.LinkIdentityAsync(user.Id, providerId.ToString(), Text(UserCiamMapping.MaxSubjectLength, 's'))).Succeeded);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal([Text(UserCiamMapping.MaxSubjectLength, 's')], await context.Db.UserCiamMappings.Where(m => m.UserId == user.Id && m.ExternalSubject.Length > 200).Select(m => m.ExternalSubject).ToListAsync());
        }
    }

    [Theory, BothProviders]
    public async Task CustomersAndSites_NameSlugDomainOverTheLimit_RefusedOnTheFieldAndNothingSaved_AtTheLimitSaved(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await ContosoAsync(database);
        await using var scope = database.Scope(TenantScope.System("platform admin"));
        var admin = new TenantAdminService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
        async Task<(int Customers, int Sites)> CountAsync()
        {
            await using var context = await database.ContextAsync(TenantScope.System());
            return (await context.Db.Customers.CountAsync(), await context.Db.Sites.CountAsync());
        }

        var before = await CountAsync();
        Assert.Contains("at most 200", (await admin.SaveCustomerAsync(null, Text(Customer.MaxNameLength + 1), "northwind", 0)).Errors["Name"]);
        Assert.Contains("at most 100", (await admin.SaveCustomerAsync(null, "Northwind", Text(Customer.MaxSlugLength + 1), 0)).Errors["Slug"]);
        Assert.Contains("at most 200", (await admin.SaveSiteAsync(null, contoso, Text(Site.MaxNameLength + 1), "news.example.com", 0)).Errors["Name"]);
        Assert.Contains("at most 253", (await admin.SaveSiteAsync(null, contoso, "News", HostName(Site.MaxDomainLength + 1), 0)).Errors["Domain"]);
        Assert.Contains("at most 253", (await admin.SaveSiteAsync(null, contoso, "News", Text(5_000_000), 0)).Errors["Domain"]);
        Assert.Equal(before, await CountAsync());

        Assert.True((await admin.SaveCustomerAsync(null, Text(Customer.MaxNameLength, 'n'), Text(Customer.MaxSlugLength, 's'), 0)).Succeeded);
        Assert.True((await admin.SaveSiteAsync(null, contoso, Text(Site.MaxNameLength, 'n'), HostName(Site.MaxDomainLength), 0)).Succeeded);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.True(await context.Db.Customers.AnyAsync(c => c.Slug == Text(Customer.MaxSlugLength, 's') && c.Name.Length == Customer.MaxNameLength));
        Assert.True(await context.Db.Sites.AnyAsync(s => s.Domain == HostName(Site.MaxDomainLength) && s.Name.Length == Site.MaxNameLength));
    }

    [Theory, BothProviders]
    public async Task IdentityProvider_EveryFieldOverTheLimit_RefusedOnTheFieldAndNothingSaved_AtTheLimitSaved(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var portal = new PortalInstance(database.Options);
        var platform = TenantScope.System("platform admin");
        string authority = "https://sso.example.com/" + Text(CiamSystem.MaxAuthorityLength - "https://sso.example.com/".Length);
        string scopes = "openid " + string.Join(' ', Enumerable.Range(0, 100).Select(i => $"scope{i:000}")).Substring(0, CiamSystem.MaxScopesLength - "openid ".Length).TrimEnd();
        scopes += new string('x', CiamSystem.MaxScopesLength - scopes.Length);
        Assert.Equal(CiamSystem.MaxScopesLength, scopes.Length);
        ProviderForm Form(string name = "Limits", string? authorityOverride = null, string clientId = "portal", string? scopesOverride = null, string? secret = null) =>
            new(null, null, name, CiamProviderType.Oidc, authorityOverride ?? "https://sso.limits.example/realms/a", clientId, scopesOverride ?? "openid profile", true, secret);
        async Task<int> CountAsync()
        {
            await using var context = await database.ContextAsync(TenantScope.System());
            return await context.Db.CiamSystems.CountAsync();
        }

        int before = await CountAsync();
        var (invalid, _) = await portal.AsAsync(platform, s => s.SaveAsync(Form(Text(CiamSystem.MaxNameLength + 1), authority + "a", Text(CiamSystem.MaxClientIdLength + 1), scopes + "x", Text(CiamSystem.MaxSecretLength + 1))));
        Assert.Equal(["Authority", "ClientId", "Name", "Scopes", "Secret"], invalid.Errors.Keys.Order());
        Assert.All(invalid.Errors.Values, message => Assert.Contains("at most", message));
        var (huge, _) = await portal.AsAsync(platform, s => s.SaveAsync(Form(Text(5_000_000))));
        Assert.Contains("at most 200 characters; this one has 5,000,000", huge.Errors["Name"]);
        Assert.Equal(before, await CountAsync());

        var (saved, id) = await portal.AsAsync(platform, s => s.SaveAsync(Form(Text(CiamSystem.MaxNameLength, 'n'), authority, Text(CiamSystem.MaxClientIdLength, 'c'), scopes, Text(CiamSystem.MaxSecretLength, 's'))));
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        await using var context = await database.ContextAsync(TenantScope.System());
        var row = await context.Db.CiamSystems.AsNoTracking().SingleAsync(c => c.Id == long.Parse(id!));
        Assert.Equal((CiamSystem.MaxNameLength, authority, CiamSystem.MaxClientIdLength, scopes), (row.Name.Length, row.Authority, row.ClientId.Length, row.Scopes));
        Assert.NotNull(row.ClientSecretProtected);
    }
}
