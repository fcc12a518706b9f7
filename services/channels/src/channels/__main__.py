from channels.bootstrap import main

main()
