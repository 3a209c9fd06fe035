from rsc_notifications.cli import main

main()
