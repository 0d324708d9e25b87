namespace AdminPortal.App.Features.Audit;

/// <summary>Audit action names that other code counts on.</summary>
public static class AuditActions
{
    /// <summary>One successful sign-in; the dashboard's logins chart counts these.</summary>
    public const string SignIn = "sign_in";

    /// <summary>A refused sign-in, with the reason, scheme and claimed email in the changes.</summary>
    public const string SignInRefused = "sign_in_refused";

    /// <summary>A support user or admin started viewing the portal as a user (read-only); viewer, target and tenant.</summary>
    public const string ViewAsStarted = "view_as_started";

    /// <summary>A view-as ended, with the reason: stopped, expired, circuit_closed or session_ended.</summary>
    public const string ViewAsEnded = "view_as_ended";

    /// <summary>An admin invited a person: the invited user row was created.</summary>
    public const string InvitationCreated = "invitation_created";

    /// <summary>An admin gave a pending invitation a new expiry.</summary>
    public const string InvitationResent = "invitation_resent";

    /// <summary>An admin revoked a pending invitation: the invited user row was deleted.</summary>
    public const string InvitationRevoked = "invitation_revoked";

    /// <summary>The invited person's first sign-in linked the invitation by a verified email.</summary>
    public const string InvitationAccepted = "invitation_accepted";

    /// <summary>A person started a bulk action as a durable job (Features/Jobs): kind, action, filter and count.</summary>
    public const string JobStarted = "job_started";

    /// <summary>The starter or an admin cancelled a job: at once when queued, after the batch in flight when running.</summary>
    public const string JobCancelRequested = "job_cancel_requested";

    /// <summary>A job ended (succeeded, failed or cancelled), with how many rows it did; written by the worker that ran it.</summary>
    public const string JobFinished = "job_finished";
}
