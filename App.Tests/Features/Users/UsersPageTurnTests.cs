using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.Tests.Grid;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Users;

/// <summary>
/// The users grid's page turn: every test of <see cref="GridPageTurnTests{TPage}"/>, as a customer admin (the
/// turn4 tests in UsersComponentsTests stay as they were).
/// </summary>
public sealed class UsersPageTurnTests : GridPageTurnTests<UsersPageTurnTests.Counted>
{
    public sealed class Counted : UsersPage, ICountsRenders
    {
        public int Renders { get; private set; }

        protected override void OnAfterRender(bool firstRender) => Renders++;
    }

    protected override string Url => "/users";

    protected override string RowIdAttribute => "data-user-id";

    protected override void AddPageServices(Func<IServiceProvider, IDbContextFactory<PortalDbContext>> held)
    {
        Services.AddScoped(provider => new UserService(held(provider), Clock));
        Services.AddSingleton<UserAccessService>();
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
        Services.AddScoped<UserBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
    }

    protected override void AddRows(PortalDbContext db, long customer, long site)
    {
        for (int i = 0; i < 3 * App.Grid.GridPage.DefaultSize; i++)
        {
            db.Users.Add(new User { CustomerId = customer, SiteId = site, Email = $"turn{i:D2}@turn.example", DisplayName = $"Page turn user {i:D2}" });
        }
    }
}
