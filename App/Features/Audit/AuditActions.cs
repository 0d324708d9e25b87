namespace AdminPortal.App.Features.Audit;

/// <summary>Audit action names that other code counts on.</summary>
public static class AuditActions
{
    /// <summary>One successful sign-in; the dashboard's logins chart counts these.</summary>
    public const string SignIn = "sign_in";

    /// <summary>A refused sign-in, with the reason, scheme and claimed email in the changes.</summary>
    public const string SignInRefused = "sign_in_refused";
}
