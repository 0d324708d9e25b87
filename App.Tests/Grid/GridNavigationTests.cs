using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Grid;
using RouteData = Microsoft.AspNetCore.Components.RouteData;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// When a grid page goes on with a parameter change: the first time, and for a view it has not shown; not for a repeat
/// of the view it shows (the query supplier telling it of the address the router's cascade already did), nor for the
/// route of another page (the page being navigated away from).
/// </summary>
public class GridNavigationTests
{
    private static readonly Dictionary<string, object?> NoValues = [];

    [Fact]
    public void IsNewView_FirstTime_ThenOnlyWhenTheViewChanges()
    {
        var page = new UsersPage();
        var navigation = new GridNavigation();
        var route = new RouteData(typeof(UsersPage), NoValues);

        Assert.True(navigation.IsNewView(page, route, ("http://x/users", false, "tenant 1")));
        Assert.False(navigation.IsNewView(page, route, ("http://x/users", false, "tenant 1")));
        Assert.True(navigation.IsNewView(page, route, ("http://x/users?after=%27%3B%20DROP%20TABLE%20users%3B--", false, "tenant 1")));
        Assert.True(navigation.IsNewView(page, route, ("http://x/users?after=%27%3B%20DROP%20TABLE%20users%3B--", true, "tenant 1")));
        Assert.True(navigation.IsNewView(page, route, ("http://x/users?after=%27%3B%20DROP%20TABLE%20users%3B--", true, "tenant 2")));
        Assert.False(navigation.IsNewView(page, null, ("http://x/users?after=%27%3B%20DROP%20TABLE%20users%3B--", true, "tenant 2")));
    }

    [Fact]
    public void IsNewView_TheRouteOfAnotherPage_IsNotTheGridsView()
    {
        var page = new UsersPage();
        var navigation = new GridNavigation();
        Assert.True(navigation.IsNewView(page, new RouteData(typeof(UsersPage), NoValues), ("http://x/users", false, 1)));

        Assert.False(navigation.IsNewView(page, new RouteData(typeof(AuditPage), NoValues), ("http://x/audit?page=2", false, 1)));
        // Outside the router (component tests) there is no route, and the view alone decides.
        Assert.True(navigation.IsNewView(page, null, ("http://x/users?q=%3Cscript%3E", false, 1)));
    }
}
